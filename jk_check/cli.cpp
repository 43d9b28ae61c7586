// jk_check command line (being written)
