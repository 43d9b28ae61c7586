// init module (being written)
