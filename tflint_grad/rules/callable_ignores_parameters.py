from __future__ import annotations

from ..analysis.facts import Facts
from ..findings import Severity
from .base import Invalid, Occurrence, Rule, Site
from .tape_terms import GUIDE, differentiated_entries


class CallableIgnoresParameters(Rule):
    code = "TFG211"
    name = "callable-ignores-parameters"
    severity = Severity.ERROR
    summary = "a differentiated callable (a target_log_prob_fn, a loss) that never reads its parameters"
    why = (
        "An API that differentiates a callable (an MCMC kernel's `target_log_prob_fn`,\n"
        "`tfp.math.value_and_gradient`, a variational loss) differentiates its result with\n"
        "respect to the parameters it fills in. A result computed from none of them is a\n"
        "constant: its gradient is None or zero, a gradient-based sampler never moves,\n"
        "and the fit does nothing, with no error. Usually the callable reads a tensor\n"
        "computed earlier instead of its argument. See the\n"
        f"{GUIDE},\nsection \"Cases where gradient returns None\"."
    )
    example = (
        "log_prob = dist.log_prob(initial_state)\n"
        "kernel = tfp.mcmc.HamiltonianMonteCarlo(\n"
        "    target_log_prob_fn=lambda x: log_prob, step_size=0.1, num_leapfrog_steps=3)"
    )
    use_instead = (
        "kernel = tfp.mcmc.HamiltonianMonteCarlo(\n"
        "    target_log_prob_fn=dist.log_prob, step_size=0.1, num_leapfrog_steps=3)"
    )
    false_positives = (
        "Reported only for a callable handed directly to a differentiating API whose\n"
        "result is differentiated, with a return value, no nested function or lambda\n"
        "(which could read a parameter unseen), and parameters it never reads at all: a\n"
        "parameter read only by a loop's test or an assertion is taken as a choice."
    )
    fixes = ()
    valid = (
        "import tensorflow as tf\nimport tensorflow_probability as tfp\n"
        "kernel = tfp.mcmc.HamiltonianMonteCarlo(\n"
        "    target_log_prob_fn=lambda x: -tf.reduce_sum(x ** 2), step_size=0.1, num_leapfrog_steps=3)\n",
    )
    invalid = (
        Invalid(
            "import tensorflow as tf\nimport tensorflow_probability as tfp\n"
            "log_prob = tf.constant(-1.0)\n"
            "kernel = tfp.mcmc.HamiltonianMonteCarlo(\n"
            "    target_log_prob_fn=lambda x: log_prob, step_size=0.1, num_leapfrog_steps=3)  # expect: TFG211\n",
            "a lambda, passed as target_log_prob_fn to tfp.mcmc.HamiltonianMonteCarlo (line 4), never reads its "
            "parameters (x): its result is a constant, whose gradient is None or zero; compute the result from them",
        ),
    )

    def check(self, facts: Facts):
        for path, scope, reason in differentiated_entries(facts):
            params = facts.differentiated_parameters(path, scope.id)
            if params and facts.ignores_parameters(path, scope.id, params):
                yield Site(
                    path, scope.id, scope.index,
                    words=(("function", "a lambda" if scope.kind == "lambda" else scope.name), ("api", reason.api),
                           ("slot", reason.slot), ("params", ", ".join(p.name for p in scope.params if p.name in params))),
                    related=((path, reason.index, "handed over here"),),
                )

    def message(self, event: Occurrence) -> str:
        parts = event.parts
        slot = f" as {parts['slot']}" if parts["slot"] else ""
        return (f"{parts['function']}, passed{slot} to {parts['api']} (line {event.related[0].span.start.line}), "
                f"never reads its parameters ({parts['params']}): its result is a constant, whose gradient is None "
                "or zero; compute the result from them")
