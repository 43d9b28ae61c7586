// jk_socketd's command line (placeholder).
