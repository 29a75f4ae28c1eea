"""Producer (UNTRUSTED) for ``relu-spurious-minimum-teacher-box`` certificates: ``certify teachers``."""
