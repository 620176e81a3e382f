//! The SiGAH model, its config, the trainer and the model file (issue 3).
