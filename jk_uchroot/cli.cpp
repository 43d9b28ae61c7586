// jk_uchroot's command line (placeholder).
