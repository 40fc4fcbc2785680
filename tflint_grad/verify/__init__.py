"""``tflint-grad verify FILE``: prove a static finding by running the code.

A finding says "this numpy call cuts the gradient".  The verifier runs the
file twice in child processes, as written and with the fixes applied in
memory, records the real arguments every flagged function receives, and
compares TensorFlow's tape gradient with a finite-difference derivative at
those inputs.  It also records what the run itself produced (the gradients
``tape.gradient`` returned, the final ``tf.Variable`` values) so the effect
of the cut on training is visible.

Layout: ``targets`` (static pass, what to check), ``runner`` (child
processes), ``child``/``instrument``/``gradcheck`` (inside the child, the only
code that imports TensorFlow), ``reference`` (independently computed true
values), ``report`` (verdicts, table, JSON), ``cli``.
"""
