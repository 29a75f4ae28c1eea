"""Producer for ``relu-one-more-neuron`` certificates (UNTRUSTED; the kernel never imports it)."""
