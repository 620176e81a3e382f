//! Checking a config before any work starts: every error names the key and the
//! allowed range.

use super::{DecoderKind, SigahConfig};
use crate::{Error, Result};

impl SigahConfig {
    /// Checks every value; the error names the field and the allowed range.
    pub fn validate(&self) -> Result<()> {
        crate::codes::check_bits(self.architecture.bits)?;
        self.check_shapes()?;
        self.check_numbers()
    }

    /// Widths, step counts and neighbour counts.
    fn check_shapes(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::Config(msg));
        let (a, o, n, t) = (&self.architecture, &self.optimiser, &self.neighbours, &self.training);
        if a.hidden.contains(&0) {
            return bad(format!("hidden: every layer width must be at least 1, got {:?}", a.hidden));
        }
        if a.latent == Some(0) {
            return bad("latent: must be at least 1".into());
        }
        if a.decoder == DecoderKind::Lista && a.lista_steps == 0 {
            return bad("lista_steps: must be at least 1 with the lista decoder".into());
        }
        if t.itq_init && !a.hidden.is_empty() && !a.skip {
            return bad("itq_init: needs a linear path to initialise (skip = true, or hidden = [])".into());
        }
        if a.disc_hidden == 0 {
            return bad("disc_hidden: must be at least 1".into());
        }
        if o.batch_size == 0 {
            return bad("batch_size: must be at least 1".into());
        }
        if t.epochs == 0 {
            // A model trained for no epoch is its random start: refused, not written.
            return bad("epochs must be at least 1 (--epochs, or the epochs key of a config file)".into());
        }
        if t.d_steps == 0 || t.g_steps == 0 {
            return bad(format!("d_steps and g_steps must be at least 1, got {} and {}", t.d_steps, t.g_steps));
        }
        if n.lambda_rank > 0.0 && n.rank_pos == 0 {
            return bad("rank_pos: must be at least 1 with lambda_rank > 0".into());
        }
        if n.rank_neg != 0 && n.rank_neg <= n.rank_pos {
            return bad(format!(
                "rank_neg: must be 0 (random negatives) or more than rank_pos = {}, got {}",
                n.rank_pos, n.rank_neg
            ));
        }
        if n.lambda_list > 0.0 && n.list_k == 0 {
            return bad("list_k: must be at least 1 with lambda_list > 0".into());
        }
        Ok(())
    }

    /// Weights, rates and temperatures.
    fn check_numbers(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::Config(msg));
        let (a, o, l, n, t) = (&self.architecture, &self.optimiser, &self.loss, &self.neighbours, &self.training);
        let nonneg = [
            ("lista_lambda", a.lista_lambda),
            ("lambda_rec", l.lambda_rec),
            ("lambda_bal", l.lambda_bal),
            ("margin_factor", l.margin_factor),
            ("margin", l.margin.unwrap_or(0.0)),
            ("branch_init", t.branch_init),
            ("lambda_pair", n.lambda_pair),
            ("lambda_rank", n.lambda_rank),
            ("rank_margin", n.rank_margin),
            ("relax_beta", n.relax_beta),
            ("lambda_list", n.lambda_list),
        ];
        for (name, v) in nonneg {
            if !v.is_finite() || v < 0.0 {
                return bad(format!("{name}: must be a finite number >= 0, got {v}"));
            }
        }
        for (name, v) in [
            ("skip_lr_scale", o.skip_lr_scale),
            ("lr_g", o.lr_g),
            ("lr_d", o.lr_d),
            ("eps", o.eps),
            ("list_temp", n.list_temp),
        ] {
            if !v.is_finite() || v <= 0.0 {
                return bad(format!("{name}: must be a finite number > 0, got {v}"));
            }
        }
        for (name, v) in [("beta1", o.beta1), ("beta2", o.beta2)] {
            if !(0.0..1.0).contains(&v) {
                return bad(format!("{name}: must be in [0, 1), got {v}"));
            }
        }
        Ok(())
    }
}
