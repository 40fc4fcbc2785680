"""The language server (``tflint-grad lsp``): the CLI's findings and fixes, live in an editor.

``server`` is the entry point and the only module imported without pygls;
``features`` wires the LSP messages; ``document`` analyses one open document
(pygls-free, so the analysis is the CLI's own); ``convert`` maps the analysis'
positions onto the protocol's.
"""
