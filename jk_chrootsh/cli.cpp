// jk_chrootsh's command line (placeholder).
