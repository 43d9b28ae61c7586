// jk_jailuser's command line (placeholder).
