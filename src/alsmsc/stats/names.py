"""The engine's vocabulary, importable without numpy or scipy so that ``alsmsc --help`` stays fast."""

METHODS = ("FE", "DL", "HE", "SJ", "ML", "REML", "EB", "PM")
MEASURES = ("MD", "SMD", "ROM", "RR", "OR", "RD", "PR", "PLO", "PAS", "PFT")
CONTINUOUS = ("MD", "SMD", "ROM")
TWO_BY_TWO = ("RR", "OR", "RD")
PROPORTIONS = ("PR", "PLO", "PAS", "PFT")
CONTROLS = ("exact", "metafor")
