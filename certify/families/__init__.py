"""Producer (UNTRUSTED) of relu-spurious-minimum-family certificates: continuation of symmetric families in
s = 1/sqrt(k), adaptive covers, the transition point, results page and plot.  The kernel
(certify.kernel.families) never imports this package."""
