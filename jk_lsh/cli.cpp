// jk_lsh's command line (placeholder).
