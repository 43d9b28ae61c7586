// jk_chrootlaunch's command line (placeholder).
