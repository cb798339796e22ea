"""Documents: reading them (one reader per format), and cutting them into passages."""
