//! Conditions in linear normal form, for the read trie's tests: a weighted sum of the
//! fields of a one-word packed state compared with zero. The runtime's evaluator
//! walks the condition's tree, a call and a dispatch a node; a sum is a few
//! instructions a term. A condition takes this form only where it is exact: where no
//! sum on the way can leave the 64-bit range, so that the runtime's saturating
//! arithmetic never saturates and the two agree on every state (a test holds them
//! equal); anything else (`and`, `or`, a comparison inside a sum, `at`) is left to
//! the runtime's evaluator.

use threshold_runtime::ir::{BinOp, Expr};

use super::layout::Layout;

/// How the sum is compared with zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn negated(self) -> Cmp {
        match self {
            Cmp::Eq => Cmp::Ne,
            Cmp::Ne => Cmp::Eq,
            Cmp::Lt => Cmp::Ge,
            Cmp::Le => Cmp::Gt,
            Cmp::Gt => Cmp::Le,
            Cmp::Ge => Cmp::Lt,
        }
    }
}

/// A term: `coef` times the field `(word >> shift) & mask`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Term {
    shift: u32,
    mask: u64,
    coef: i64,
}

/// `constant + Σ coef · field  cmp  0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Linear {
    terms: Box<[Term]>,
    constant: i64,
    cmp: Cmp,
}

/// A bound on the magnitude of every sum inside a linear condition: below it, no
/// sum can reach the 64-bit limits.
const EXACT: i128 = 1 << 62;

/// A sum while it is gathered: its terms (one per field), its constant, and the
/// sum of the magnitudes of everything added so far, which bounds every partial sum.
#[derive(Default)]
struct Sum {
    terms: Vec<Term>,
    constant: i128,
    bound: i128,
}

impl Sum {
    fn add_term(&mut self, shift: u32, mask: u64, coef: i128) -> Option<()> {
        let coef = i64::try_from(coef).ok()?;
        match self
            .terms
            .iter_mut()
            .find(|t| (t.shift, t.mask) == (shift, mask))
        {
            Some(t) => t.coef = t.coef.checked_add(coef)?,
            None => self.terms.push(Term { shift, mask, coef }),
        }
        Some(())
    }

    /// Adds `sign` times the expression `e`.
    fn add(&mut self, e: &Expr, sign: i128, layout: &Layout) -> Option<()> {
        match e {
            Expr::Const(c) => {
                self.constant += sign * i128::from(*c);
                self.bound += i128::from(*c).abs();
            }
            Expr::Var(v) => {
                let low = i128::from(layout.var_low(*v));
                let (mask, shift) = match layout.var_bits(*v) {
                    Some((0, bits)) => (bits >> bits.trailing_zeros(), bits.trailing_zeros()),
                    Some(_) => return None,
                    None => (0, 0),
                };
                // The variable is `low + field`, the field at most `mask`; the two
                // parts are summed apart.
                self.constant += sign * low;
                self.bound += low.abs() + i128::from(mask);
                if mask != 0 {
                    self.add_term(shift, mask, sign)?;
                }
            }
            Expr::Seen(n) => {
                self.bound += 1;
                match layout.seen_bit(*n) {
                    Some((0, bit)) => self.add_term(bit.trailing_zeros(), 1, sign)?,
                    Some(_) => return None,
                    // Not recorded: never seen.
                    None => {}
                }
            }
            Expr::Neg(x) => self.add(x, -sign, layout)?,
            Expr::Bin(BinOp::Add, a, b) => {
                self.add(a, sign, layout)?;
                self.add(b, sign, layout)?;
            }
            Expr::Bin(BinOp::Sub, a, b) => {
                self.add(a, sign, layout)?;
                self.add(b, -sign, layout)?;
            }
            Expr::Bin(
                BinOp::Or
                | BinOp::And
                | BinOp::Eq
                | BinOp::Ne
                | BinOp::Lt
                | BinOp::Le
                | BinOp::Gt
                | BinOp::Ge,
                ..,
            )
            | Expr::Not(_)
            | Expr::At(_) => return None,
        }
        (self.bound < EXACT).then_some(())
    }
}

/// The comparison `op` is, if it is one.
fn comparison(op: BinOp) -> Option<Cmp> {
    match op {
        BinOp::Eq => Some(Cmp::Eq),
        BinOp::Ne => Some(Cmp::Ne),
        BinOp::Lt => Some(Cmp::Lt),
        BinOp::Le => Some(Cmp::Le),
        BinOp::Gt => Some(Cmp::Gt),
        BinOp::Ge => Some(Cmp::Ge),
        BinOp::Or | BinOp::And | BinOp::Add | BinOp::Sub => None,
    }
}

/// `cond` as `a - b cmp 0`, `b` absent for a value that holds when it is not zero;
/// `not` negates the comparison under it.
fn top(cond: &Expr) -> (&Expr, Option<&Expr>, Cmp) {
    match cond {
        Expr::Bin(op, a, b) => match comparison(*op) {
            Some(cmp) => (a, Some(b), cmp),
            None => (cond, None, Cmp::Ne),
        },
        Expr::Not(x) => {
            let (a, b, cmp) = top(x);
            (a, b, cmp.negated())
        }
        _ => (cond, None, Cmp::Ne),
    }
}

impl Linear {
    /// The condition `cond` over states packed by `layout`, if it has an exact
    /// linear form.
    pub(super) fn of(cond: &Expr, layout: &Layout) -> Option<Linear> {
        let (a, b, cmp) = top(cond);
        let mut sum = Sum::default();
        sum.add(a, 1, layout)?;
        if let Some(b) = b {
            sum.add(b, -1, layout)?;
        }
        Some(Linear::from_sum(sum, cmp))
    }

    fn from_sum(sum: Sum, cmp: Cmp) -> Linear {
        Linear {
            terms: sum.terms.into_iter().filter(|t| t.coef != 0).collect(),
            // Within `EXACT`, as every partial sum is.
            constant: sum.constant as i64,
            cmp,
        }
    }

    /// The condition with the fields in `mask` fixed at their values in `bits`:
    /// what a test knows of the fields the transition wrote before it. `None` if a
    /// field is only partly in `mask`.
    pub(super) fn fixing(&self, mask: u64, bits: u64) -> Option<Linear> {
        let mut constant = i128::from(self.constant);
        let mut terms = Vec::new();
        for &t in self.terms.iter() {
            let field = t.mask << t.shift;
            if field & mask == field {
                constant += i128::from(t.coef) * i128::from((bits >> t.shift) & t.mask);
            } else if field & mask == 0 {
                terms.push(t);
            } else {
                return None;
            }
        }
        Some(Linear {
            terms: terms.into(),
            constant: i64::try_from(constant).ok()?,
            cmp: self.cmp,
        })
    }

    /// How many terms the sum has.
    pub(super) fn terms(&self) -> usize {
        self.terms.len()
    }

    /// Whether the condition holds in the one-word state `word`.
    #[inline]
    pub(super) fn holds(&self, word: u64) -> bool {
        let mut sum = self.constant;
        for t in self.terms.iter() {
            sum += ((word >> t.shift) & t.mask) as i64 * t.coef;
        }
        match self.cmp {
            Cmp::Eq => sum == 0,
            Cmp::Ne => sum != 0,
            Cmp::Lt => sum < 0,
            Cmp::Le => sum <= 0,
            Cmp::Gt => sum > 0,
            Cmp::Ge => sum >= 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use threshold_runtime::{eval_in, Runner};

    use super::*;
    use crate::explore::layout::WordEnv;
    use crate::test_story;

    const STORY: &str = r#"title: "Linear"
start: s
hidden a = 0 in -5..5 "A"
hidden b = 3 in 0..10 "B"
hidden c = false "C"

scene s
{if seen(t)}
  Again.
{end}
+ Go
  -> t

scene t
+ Back
  -> s
"#;

    fn var(v: u32) -> Box<Expr> {
        Box::new(Expr::Var(v))
    }

    fn bin(op: BinOp, a: Box<Expr>, b: Box<Expr>) -> Expr {
        Expr::Bin(op, a, b)
    }

    /// Every operator, the comparisons first.
    const OPS: [BinOp; 10] = [
        BinOp::Eq,
        BinOp::Ne,
        BinOp::Lt,
        BinOp::Le,
        BinOp::Gt,
        BinOp::Ge,
        BinOp::Or,
        BinOp::And,
        BinOp::Add,
        BinOp::Sub,
    ];
    const COMPARISONS: usize = 6;

    /// A constant, one of the story's three variables, or the `seen()` of its node 1.
    fn leaf() -> impl Strategy<Value = Expr> + Clone {
        prop_oneof![
            (-20i64..20).prop_map(Expr::Const),
            (0u32..3).prop_map(Expr::Var),
            Just(Expr::Seen(1)),
        ]
    }

    /// Expressions of every form over the story's three variables and the `seen()`
    /// of its node 1.
    fn expr() -> impl Strategy<Value = Expr> {
        leaf().prop_recursive(4, 24, 2, |inner| {
            let ops = (0..OPS.len()).prop_map(|i| OPS[i]);
            prop_oneof![
                inner.clone().prop_map(|x| Expr::Not(Box::new(x))),
                inner.clone().prop_map(|x| Expr::Neg(Box::new(x))),
                (ops, inner.clone(), inner).prop_map(|(op, a, b)| Expr::Bin(
                    op,
                    Box::new(a),
                    Box::new(b)
                )),
            ]
        })
    }

    /// Comparisons of sums of the leaves, most of which have a linear form with
    /// several terms, under `not` at times.
    fn comparison() -> impl Strategy<Value = Expr> {
        let sum = leaf().prop_recursive(3, 12, 2, |inner| {
            prop_oneof![
                inner.clone().prop_map(|x| Expr::Neg(Box::new(x))),
                (any::<bool>(), inner.clone(), inner).prop_map(|(add, a, b)| {
                    let op = if add { BinOp::Add } else { BinOp::Sub };
                    Expr::Bin(op, Box::new(a), Box::new(b))
                }),
            ]
        });
        let ops = (0..COMPARISONS).prop_map(|i| OPS[i]);
        (ops, sum.clone(), sum, any::<bool>()).prop_map(|(op, a, b, not)| {
            let c = Expr::Bin(op, Box::new(a), Box::new(b));
            if not {
                Expr::Not(Box::new(c))
            } else {
                c
            }
        })
    }

    /// The packed state with `a`, `b`, `c` and whether `t` was seen.
    fn packed(layout: &Layout, (a, b, c, seen): (i64, i64, bool, bool)) -> u64 {
        let story = test_story(STORY);
        let mut state = Runner::new(&story).initial_state();
        state.vars = vec![a, b, i64::from(c)];
        if seen {
            threshold_runtime::set_bit(&mut state.seen, 1);
        }
        let mut word = [0u64];
        layout.pack(&state, &mut word);
        word[0]
    }

    fn state() -> impl Strategy<Value = (i64, i64, bool, bool)> {
        (-5i64..=5, 0i64..=10, any::<bool>(), any::<bool>())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// Where a condition has a linear form, it holds exactly where the runtime
        /// says it does; and with some fields fixed, it holds where the runtime says
        /// it does in the state with those fields set.
        #[test]
        fn the_linear_form_agrees_with_the_runtime(
            cond in prop_oneof![expr(), comparison()],
            s in state(),
            fixed in state(),
            which in 0u8..16
        ) {
            let layout = Layout::new(&test_story(STORY));
            let Some(linear) = Linear::of(&cond, &layout) else {
                return Ok(());
            };
            let word = packed(&layout, s);
            let runtime = |word: u64| {
                eval_in(&cond, &WordEnv { layout: &layout, word }, &mut ()) != 0
            };
            prop_assert_eq!(linear.holds(word), runtime(word), "{:?}", cond);
            let fields = [
                layout.var_bits(0),
                layout.var_bits(1),
                layout.var_bits(2),
                layout.seen_bit(1),
            ];
            let mut mask = 0;
            for (k, bits) in fields.into_iter().enumerate() {
                if which >> k & 1 == 1 {
                    mask |= bits.expect("every field has bits").1;
                }
            }
            let bits = packed(&layout, fixed) & mask;
            let fixing = linear.fixing(mask, bits).expect("whole fields");
            prop_assert_eq!(fixing.holds(word), runtime((word & !mask) | bits), "{:?}", cond);
        }
    }

    #[test]
    fn sums_and_comparisons_are_linear_and_the_rest_is_not() {
        let layout = Layout::new(&test_story(STORY));
        let sum = bin(BinOp::Add, var(0), var(1));
        let linear = |e: &Expr| Linear::of(e, &layout);
        for e in [
            bin(BinOp::Gt, Box::new(sum.clone()), Box::new(Expr::Const(3))),
            Expr::Not(Box::new(bin(BinOp::Le, var(0), var(1)))),
            Expr::Var(2),
            Expr::Not(var(2)),
            Expr::Seen(1),
            sum.clone(),
        ] {
            assert!(linear(&e).is_some(), "{e:?}");
        }
        let huge = Box::new(Expr::Const(1 << 62));
        for e in [
            bin(BinOp::And, var(0), var(1)),
            bin(BinOp::Or, var(2), Box::new(Expr::Seen(1))),
            bin(BinOp::Add, Box::new(bin(BinOp::Gt, var(0), var(1))), var(1)),
            Expr::At(0),
            // Past what is exact: a sum may saturate.
            bin(BinOp::Gt, Box::new(sum), huge),
        ] {
            assert!(linear(&e).is_none(), "{e:?}");
        }
    }

    /// A variable's whole range counts towards what a sum may reach: two of a
    /// variable up to 2^62 may reach past the bound, one may not.
    #[test]
    fn wide_ranges_are_not_linear_when_a_sum_may_reach_the_limits() {
        let story = test_story(concat!(
            "title: \"Wide\"\nstart: s\n",
            "hidden big = 0 in 0..4611686018427387903 \"Big\"\n",
            "\nscene s\n+ Stay\n  -> s\n",
        ));
        let layout = Layout::new(&story);
        let zero = || Box::new(Expr::Const(0));
        assert!(Linear::of(&bin(BinOp::Gt, var(0), zero()), &layout).is_some());
        let twice = Box::new(bin(BinOp::Add, var(0), var(0)));
        assert!(Linear::of(&bin(BinOp::Gt, twice, zero()), &layout).is_none());
    }

    /// `a - a` has no term left: the condition is a constant.
    #[test]
    fn terms_that_cancel_leave_a_constant() {
        let layout = Layout::new(&test_story(STORY));
        let e = bin(
            BinOp::Eq,
            Box::new(bin(BinOp::Sub, var(0), var(0))),
            Box::new(Expr::Const(0)),
        );
        let l = Linear::of(&e, &layout).expect("linear");
        assert!(l.terms.is_empty());
        assert!(l.holds(0) && l.holds(u64::MAX));
    }
}
