// jk_update command line (being written)
