// placeholder (issue 4)
