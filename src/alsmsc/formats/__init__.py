"""How results read: the words for the dataset's codes (``labels``), the way numbers, intervals, shares and
p-values are written (``numbers``), the escaping of text from the data (``escape``) and the colours of the charts
(``colours``). One place for each display decision, used by the analyses' tables and by
everything published; it imports nothing of the package."""
