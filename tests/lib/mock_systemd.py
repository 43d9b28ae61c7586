#!/usr/bin/env python3
# A stand-in for systemd's Manager (org.freedesktop.systemd1) on a private
# dbus-daemon, for tests/integration/systemd_scope.sh. It moves nothing and
# enforces nothing: it records each SetUnitProperties and StartTransientUnit
# call, one JSON object a line, with what the bus says about the caller (its
# pid, uid and namespaces at the time of the call), and answers as the file
# MODE_FILE says:
#   done          SetUnitProperties succeeds; StartTransientUnit returns a
#                 job and JobRemoved(..., "done") follows the reply
#   failed        as done, but the job ends "failed"
#   refuse        StartTransientUnit answers an error
#   refuse-slice  SetUnitProperties answers an error
# Usage: mock_systemd.py BUS_ADDRESS RECORD_FILE MODE_FILE READY_FILE
import json
import os
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

MANAGER = "org.freedesktop.systemd1.Manager"
address, record_file, mode_file, ready_file = sys.argv[1:5]


def plain(v):
    """A D-Bus value as JSON can hold it."""
    if isinstance(v, (dbus.Array, list, tuple, dbus.Struct)):
        return [plain(x) for x in v]
    if isinstance(v, (dbus.String, dbus.ObjectPath, str)):
        return str(v)
    if isinstance(v, dbus.Boolean):
        return bool(v)
    return int(v)


def ns_of(pid, kind):
    try:
        return os.readlink("/proc/%d/ns/%s" % (pid, kind))
    except OSError:
        return None


class Manager(dbus.service.Object):
    def __init__(self, conn):
        super().__init__(conn, "/org/freedesktop/systemd1")
        self.conn = conn
        self.jobs = 0
        self.daemon = dbus.Interface(conn.get_object("org.freedesktop.DBus", "/org/freedesktop/DBus"),
                                     "org.freedesktop.DBus")

    def mode(self):
        with open(mode_file) as f:
            return f.read().strip()

    def record(self, call, sender, **fields):
        pid = int(self.daemon.GetConnectionUnixProcessID(sender))
        entry = {"call": call, "caller_pid": pid, "caller_uid": int(self.daemon.GetConnectionUnixUser(sender))}
        # Whether the caller still shares the mock's namespaces: the entry
        # must place itself before it makes any (cgroup_place.hpp MUST 4).
        for kind in ("pid", "mnt", "net", "uts", "cgroup"):
            entry["same_" + kind + "_ns"] = ns_of(pid, kind) == ns_of(os.getpid(), kind)
        entry.update(fields)
        with open(record_file, "a") as f:
            f.write(json.dumps(entry, sort_keys=True) + "\n")

    @dbus.service.method(MANAGER, in_signature="sba(sv)", out_signature="", sender_keyword="sender")
    def SetUnitProperties(self, name, runtime, props, sender=None):
        self.record("SetUnitProperties", sender, name=str(name), runtime=bool(runtime),
                    properties=[[str(k), plain(v)] for k, v in props])
        if self.mode() == "refuse-slice":
            raise dbus.exceptions.DBusException("mock: refusing the slice's properties",
                                                name="org.freedesktop.DBus.Error.AccessDenied")

    @dbus.service.method(MANAGER, in_signature="ssa(sv)a(sa(sv))", out_signature="o", sender_keyword="sender")
    def StartTransientUnit(self, name, mode, props, aux, sender=None):
        self.record("StartTransientUnit", sender, name=str(name), mode=str(mode),
                    properties=[[str(k), plain(v)] for k, v in props], aux=plain(aux))
        answer = self.mode()
        if answer == "refuse":
            raise dbus.exceptions.DBusException("mock: Unit %s already exists." % name,
                                                name="org.freedesktop.systemd1.UnitExists")
        self.jobs += 1
        job = dbus.ObjectPath("/org/freedesktop/systemd1/job/%d" % self.jobs)
        result = "failed" if answer == "failed" else "done"
        # After the reply, as systemd runs the job in a later loop iteration.
        GLib.idle_add(lambda: self.JobRemoved(dbus.UInt32(self.jobs), job, name, result) and False)
        return job

    @dbus.service.signal(MANAGER, signature="uoss")
    def JobRemoved(self, job_id, job, unit, result):
        pass


dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
conn = dbus.bus.BusConnection(address)
manager = Manager(conn)
name = dbus.service.BusName("org.freedesktop.systemd1", conn)
with open(ready_file, "w") as f:
    f.write("ready\n")
GLib.MainLoop().run()
