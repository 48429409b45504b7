"""How results read: the words for the dataset's codes (``labels``) and the way numbers, intervals, shares and
p-values are written (``numbers``). One place for each display decision, used by the analyses' tables and by
everything published; it imports nothing of the package."""
