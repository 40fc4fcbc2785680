"""The language server (``tflint-grad lsp``): the CLI's findings and fixes, live in an editor, on the whole project.

``server`` is the entry point and the only module imported without pygls;
``features`` wires the LSP messages; ``workspace`` keeps each project's files
and analyses the open documents with them (``reach`` picks the files an
analysis needs, ``document`` holds one document's result; both pygls-free,
so the analysis is the CLI's own); ``notebooks`` turns notebook cells back
into a notebook; ``convert`` maps the analysis' positions onto the protocol's.
"""
