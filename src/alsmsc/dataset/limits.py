"""Size limits of the data package, far above real use (data/README.md states them with the largest real values).

They exist so that a runaway or hostile input is refused in a second with a clear message instead of building for
minutes (a 10 MB text field made the book take 126 s; a 50 MB table never finished).
"""

MAX_DESCRIPTOR_BYTES = 5_000_000  # datapackage.json; real: 79 kB
MAX_DESCRIPTOR_TEXT = 20_000  # characters in one title or description of the descriptor; real: 637
MAX_RESOURCES = 50  # tables; real: 11
MAX_FIELDS = 200  # columns of one table; real: 41
MAX_TABLE_BYTES = 20_000_000  # one CSV file; real: 324 kB (search_log.csv); the 100x growth benchmark: 5.4 MB
MAX_ROWS = 100_000  # data rows of one CSV file; real: 842; the 100x growth benchmark: 43,400
MAX_CELL_CHARS = 50_000  # characters in one cell; real: 1,583 (a note in screening_log.csv)
MAX_INTEGER = 2**53 - 1  # whole numbers beyond this lose precision as the JSON and floats the book is made of
MAX_NUMBER = 1e15  # far beyond any count, mean, duration or percentage; squares stay finite
MIN_NUMBER = 1e-9  # a number other than 0 is at least this big: a variance (an SD squared, over n) never rounds to 0
