"""Random Xavier teachers at experimental sizes (UNTRUSTED producer): gradient descent, classification of
the end points, and certificates of the dense kind with the given teacher (docs/results/random-teachers.md)."""
