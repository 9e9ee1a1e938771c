"""The paper's evaluation experiments (`gauss evaluate`) and the KD mapping set (`gauss kdmap`).

Modules: kd_mapping (KD mapping set), learning_curve (Fig. 2b, 6b), sweep_exp (Fig. 2c), proxy_parity
(Fig. 6c), latent_maps (Fig. 7), fidelity + fidelity_scores (Fig. 8), repopulation (Fig. 10), casscf_check
(estimates vs CASSCF); experiments/ (one module per report section: run + section, rendered from
templates/), report (docs/evaluation.md; report_config, report_inputs, report_state, report_markdown).
Imported lazily: `import gauss_core.evaluate` is cheap.
"""

# The experiments of `gauss evaluate`, in report order (names for --only).
EXPERIMENTS = ("learning_curve", "sweep", "parity", "label_curve", "latent_maps", "fidelity", "repopulation")
