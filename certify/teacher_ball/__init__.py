"""Producer (UNTRUSTED) for ``relu-spurious-minimum-teacher-ball`` certificates: ``certify teacher-ball``."""
