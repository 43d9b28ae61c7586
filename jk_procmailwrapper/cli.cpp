// jk_procmailwrapper's command line (placeholder).
