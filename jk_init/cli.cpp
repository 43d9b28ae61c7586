// jk_init command line (being written)
