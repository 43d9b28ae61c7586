#include "jk/changes.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <exception>

#include "jk/json.hpp"

namespace jk::changes {

void Report::add(Action action, std::string path, std::string type, std::string detail) {
    std::string key(action_name(action));
    key += '\0';
    key += path;
    key += '\0';
    key += type;
    key += '\0';
    key += detail;
    if (!seen_.insert(std::move(key)).second) return;
    items_.push_back(Change{action, std::move(path), std::move(type), std::move(detail)});
}

void Report::fail(std::string message) {
    failure_ = std::move(message);
}

void Report::warn(std::string message) {
    warnings_.push_back(std::move(message));
}

void Report::append(const Report& other) {
    for (const Change& c : other.items_) add(c.action, c.path, c.type, c.detail);
    warnings_.insert(warnings_.end(), other.warnings_.begin(), other.warnings_.end());
}

bool Report::changed() const noexcept {
    return std::any_of(items_.begin(), items_.end(), [](const Change& c) { return c.action != Action::unchanged; });
}

std::string_view action_name(Action action) {
    switch (action) {
        case Action::created: return "created";
        case Action::updated: return "updated";
        case Action::removed: return "removed";
        case Action::unchanged: return "unchanged";
    }
    return "unchanged";
}

std::string to_json(const Report& report, std::string_view tool, std::string_view jail, bool dry_run,
                    std::string_view error) {
    std::string out = "{\"tool\":" + json::quoted(tool) + ",\"format\":1,\"jail\":" + json::quoted(jail) +
                      ",\"dry_run\":" + (dry_run ? "true" : "false") +
                      ",\"changed\":" + (report.changed() ? "true" : "false");
    constexpr std::array actions{Action::created, Action::updated, Action::removed, Action::unchanged};
    for (Action a : actions) {
        out += ",\"";
        out += action_name(a);
        out += "\":[";
        bool first = true;
        for (const Change& c : report.items()) {
            if (c.action != a) continue;
            if (!first) out += ',';
            first = false;
            out += "{\"path\":" + json::quoted(c.path) + ",\"type\":" + json::quoted(c.type);
            if (!c.detail.empty()) out += ",\"detail\":" + json::quoted(c.detail);
            out += '}';
        }
        out += ']';
    }
    out += ",\"warnings\":[";
    for (std::size_t i = 0; i < report.warnings().size(); ++i) {
        if (i > 0) out += ',';
        out += json::quoted(report.warnings()[i]);
    }
    out += "],\"error\":";
    if (error.empty()) error = report.failure();
    out += error.empty() ? std::string("null") : json::quoted(error);
    out += "}\n";
    return out;
}

int run_reported(const JsonRun& run, const Report& report, const std::function<int()>& body) {
    if (!run.json) {
        const int rc = body();
        // A dry run said nothing as it went: what it would do, one line each.
        if (run.dry_run && run.plan_lines) {
            for (const Change& c : report.items())
                if (c.action != Action::unchanged)
                    std::printf("would %s %s %s%s\n",
                                c.action == Action::created   ? "create"
                                : c.action == Action::updated ? "update"
                                                              : "remove",
                                c.type.c_str(), c.path.c_str(),
                                c.detail.empty() ? "" : (" (" + c.detail + ")").c_str());
            if (!report.changed()) std::printf("nothing to do\n");
        }
        return rc;
    }
    auto print = [&](std::string_view error) {
        const std::string doc = to_json(report, run.tool, run.jail, run.dry_run, error);
        std::fwrite(doc.data(), 1, doc.size(), stdout);
        std::fflush(stdout);
    };
    int rc = 0;
    try {
        rc = body();
    } catch (const std::exception& e) {
        print(e.what());
        throw;
    }
    print({});
    return rc;
}

}  // namespace jk::changes
