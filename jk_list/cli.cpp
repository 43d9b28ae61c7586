// jk_list's command line (placeholder).
