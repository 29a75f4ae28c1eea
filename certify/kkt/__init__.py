"""KKT points of the max-margin problem that are not local optima."""
