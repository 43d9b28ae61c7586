// update module (being written)
