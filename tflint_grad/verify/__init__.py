"""``tflint-grad verify FILE``: prove a static finding by running the code.

A finding says "this numpy call cuts the gradient".  The verifier runs the
program twice in child processes, as written and with the fixes applied in
memory (to the script and the project files it imports), records the real
arguments every flagged function receives, and compares TensorFlow's tape
gradient with a finite-difference derivative at those inputs.  It also
records what the run itself produced (the gradients ``tape.gradient``
returned, the loss and parameters at every step, the final ``tf.Variable``
values), the derivative of each tape's loss by finite differences, and every
cut the guard (:mod:`tflint_grad.guard`) sees at run time, so a cut the static
pass missed is reported too.

Layout: ``targets`` (static pass, what to check), ``runner`` (child
processes), ``child``/``instrument``/``recording``/``gradcheck``/``reference``
(inside the child, the only code that imports TensorFlow), ``report``
(verdicts, table, JSON), ``progress`` (stderr while the runs go), ``plot``
(``--plot``), ``cli``.
"""
