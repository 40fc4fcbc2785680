"""The analysis's data tables: what each API does to the gradient (``apis``, with
its effect and tags in ``effects``) and which APIs differentiate a callable
(``entry_points``).  Data only: no function here walks code."""
