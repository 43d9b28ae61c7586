// check module (being written)
