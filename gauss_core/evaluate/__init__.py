"""The paper's evaluation experiments (`gauss evaluate`); the KD mapping set they read is built by
gauss_core.kd.kd_mapping (`gauss kdmap`).

Modules: learning_curve (Fig. 2b, 6b), sweep_exp (Fig. 2c), proxy_parity (Fig. 6c), latent_maps (Fig. 7),
fidelity + fidelity_scores (Fig. 8), casscf_fidelity + casscf_fidelity_scores (Fig. 8
with CASSCF, issue 13.5), repopulation (Fig. 10), casscf_check (estimates vs CASSCF);
experiments/ (one module per report section: run + section, rendered from templates/), report
(docs/evaluation.md; report_config, report_inputs, report_state, report_markdown).
Imported lazily: `import gauss_core.evaluate` is cheap.
"""

# The experiments of `gauss evaluate`, in report order (names for --only).
EXPERIMENTS = ("learning_curve", "sweep", "parity", "label_curve", "latent_maps", "fidelity", "fig8_casscf",
               "repopulation", "surrogate", "setup_truth")
