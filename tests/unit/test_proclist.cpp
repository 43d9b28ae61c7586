// placeholder (issue 5)
