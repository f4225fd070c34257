//! The insured place's policy applied to the eligible amount (`settlement.md` §5–8): deductible,
//! basic pool with its cap pool, the layers above it, medical assistance, and the account.
//!
//! Every function here is pure arithmetic over values the caller looked up; every ratio goes
//! through `share`, the one rounding function.

use yidi_domain::{
    Adjustment, AdjustmentForm, Bp, Deductible, Fen, Layer, LayerField, LayerKind, Person, PolicyVersion,
    RegionPolicy, SegmentLayer, YearAcc, share,
};

/// The intermediate figures behind a settlement, kept so the trace can explain every fen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Workings<'a> {
    pub local_ratio: Bp,
    /// The ratio after the adjustment (`pool_prop_selfpay`).
    pub ratio: Bp,
    pub excluded: bool,
    /// Amount moved from eligible to pre-self-pay by `extra_preselfpay_bp`.
    pub moved_to_preselfpay: Fen,
    /// The eligible amount after that move.
    pub inscp: Fen,
    pub deductible: Option<&'a Deductible>,
    /// True when the adjustment replaced the policy's deductible.
    pub deductible_replaced: bool,
    pub deductible_remaining: Fen,
    /// For per-admission deductibles: which admission of the year this is (1-based).
    pub nth_admission: u32,
    pub deductible_paid_before: Fen,
    pub base: Fen,
    pub pool_raw: Fen,
    /// What the cap left before this settlement; `None` = no cap.
    pub cap_left: Option<Fen>,
    pub fund_paid_before: Fen,
    pub eligible_selfpay: Fen,
    pub layers: Vec<LayerWorking<'a>>,
    pub maf: Option<MafWorking>,
}

/// One layer's figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerWorking<'a> {
    pub layer: &'a Layer,
    pub input: Fen,
    pub base_before: Fen,
    pub paid_before: Fen,
    /// Whether the assistance preference applied.
    pub assisted: bool,
    pub threshold: Fen,
    /// For `segments`: each paid part `[lo, hi)` with its ratio and payment.
    pub parts: Vec<(Fen, Fen, Bp, Fen)>,
    /// For `above_cap`: the base the basic fund could not cover.
    pub uncovered: Fen,
    pub raw: Fen,
    /// Room left under the layer's cap; `None` = uncapped.
    pub room: Option<Fen>,
    pub pay: Fen,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MafWorking {
    pub input: Fen,
    pub ratio: Bp,
    pub raw: Fen,
    pub room: Option<Fen>,
    pub pay: Fen,
}

/// The fund payments of one settlement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FundPays {
    pub act_pay_dedc: Fen,
    pub hifp_pay: Fen,
    pub hifob_pay: Fen,
    pub hifmi_pay: Fen,
    pub maf_pay: Fen,
    pub hifmi_base_add: Fen,
    pub hifob_base_add: Fen,
}

/// What the funds need to know about the visit.
pub struct FundInput<'a, 'y> {
    pub person: &'a Person,
    pub region: &'a RegionPolicy,
    pub policy: &'a PolicyVersion,
    pub adjustment: Option<&'a Adjustment>,
    /// Facility level (0–3); level tables read level 1 for 0.
    pub level: u8,
    pub inscp: Fen,
    pub year: &'y YearAcc,
    /// Fund already paid in the cap period (the year, or the month for monthly caps).
    pub period_fund_paid: Fen,
}

/// Runs §4's adjustment, §5 deductible, §6 basic pool, §7 layers and assistance.
pub fn compute_funds<'a>(input: &FundInput<'a, '_>) -> (FundPays, Workings<'a>) {
    let policy = input.policy;
    let local_ratio = policy.ratio.at(input.level);
    let mut w = Workings { local_ratio, ..Workings::default() };
    let form = input.adjustment.map_or(&AdjustmentForm::Unchanged, |a| &a.form);
    if *form == AdjustmentForm::Excluded {
        w.excluded = true;
        w.inscp = input.inscp;
        w.eligible_selfpay = input.inscp;
        return (FundPays::default(), w);
    }
    w.ratio = input.adjustment.map_or(local_ratio, |a| a.apply_to_ratio(local_ratio, input.level));
    if let AdjustmentForm::ExtraPreselfpay(e) = form {
        w.moved_to_preselfpay = share(input.inscp, *e);
    }
    w.inscp = input.inscp - w.moved_to_preselfpay;

    let replaced = input.adjustment.and_then(|a| a.deductible.as_ref());
    let deductible = replaced.unwrap_or(&policy.deductible);
    w.deductible = Some(deductible);
    w.deductible_replaced = replaced.is_some();
    let pool = input.year.pool(&policy.cap_pool);
    w.deductible_paid_before = pool.deductible_paid;
    w.nth_admission = pool.admissions + 1;
    w.deductible_remaining = deductible_remaining(deductible, input.level, &pool, w.inscp);
    let act_pay_dedc = w.inscp.min(w.deductible_remaining);

    w.base = w.inscp - act_pay_dedc;
    w.pool_raw = share(w.base, w.ratio);
    w.fund_paid_before = input.period_fund_paid;
    w.cap_left = policy.annual_cap.map(|cap| (cap - input.period_fund_paid).max0());
    let hifp_pay = w.cap_left.map_or(w.pool_raw, |left| w.pool_raw.min(left));
    w.eligible_selfpay = w.inscp - hifp_pay;

    let mut pays = FundPays { act_pay_dedc, hifp_pay, ..FundPays::default() };
    run_layers(input, &mut w, &mut pays);
    pays.maf_pay = run_assistance(input, &mut w, &pays);
    (pays, w)
}

/// §5: what is left of the deductible for this settlement.
fn deductible_remaining(d: &Deductible, level: u8, pool: &yidi_domain::PoolAcc, inscp: Fen) -> Fen {
    match d {
        Deductible::PerYear { amount } => (amount.at(level) - pool.deductible_paid).max0(),
        Deductible::PerVisit { amount } => amount.at(level),
        Deductible::PerAdmission { amount, nth_bp } => {
            let n = pool.admissions as usize;
            let bp = nth_bp.get(n).or(nth_bp.last()).copied().unwrap_or(Bp::FULL);
            share(amount.at(level), bp)
        }
        Deductible::PctOfBill { bp, min, max } => share(inscp, *bp).max(min.at(level)).min(max.at(level)),
    }
}

/// §7: `hifob_pay` first, then `hifmi_pay`; each layer's input is the eligible self-pay less
/// what the layers before it paid.
fn run_layers<'a>(input: &FundInput<'a, '_>, w: &mut Workings<'a>, pays: &mut FundPays) {
    for field in [LayerField::Hifob, LayerField::Hifmi] {
        let Some(layer) = input.policy.layers.iter().find(|l| l.field == field) else { continue };
        let layer_input = w.eligible_selfpay - pays.hifob_pay - pays.hifmi_pay;
        let (base_before, paid_before) = match field {
            LayerField::Hifob => (input.year.hifob_base, input.year.hifob_paid),
            LayerField::Hifmi => (input.year.hifmi_base, input.year.hifmi_paid),
        };
        let mut lw = LayerWorking {
            layer,
            input: layer_input,
            base_before,
            paid_before,
            assisted: false,
            threshold: Fen::ZERO,
            parts: Vec::new(),
            uncovered: Fen::ZERO,
            raw: Fen::ZERO,
            room: None,
            pay: Fen::ZERO,
        };
        match &layer.kind {
            LayerKind::Segments(seg) => segments_pay(seg, input.person.assist_class.is_some(), &mut lw),
            LayerKind::AboveCap { ratio, cap } => above_cap_pay(*ratio, *cap, w, &mut lw),
        }
        // A layer never pays more than its input, so later amounts stay non-negative.
        lw.pay = lw.pay.min(layer_input);
        match field {
            LayerField::Hifob => {
                pays.hifob_pay = lw.pay;
                pays.hifob_base_add = layer_input;
            }
            LayerField::Hifmi => {
                pays.hifmi_pay = lw.pay;
                pays.hifmi_base_add = layer_input;
            }
        }
        w.layers.push(lw);
    }
}

fn segments_pay(seg: &SegmentLayer, has_assist_class: bool, lw: &mut LayerWorking<'_>) {
    // The national preference applies only where the layer defines one.
    let has_preference =
        seg.assist_threshold_bp.is_some() || seg.assist_bonus_bp > Bp::ZERO || seg.assist_uncapped;
    lw.assisted = has_assist_class && has_preference;
    lw.threshold = match seg.assist_threshold_bp {
        Some(bp) if has_assist_class => share(seg.threshold, bp),
        _ => seg.threshold,
    };
    let bonus = if has_assist_class { seg.assist_bonus_bp } else { Bp::ZERO };
    let p = lw.base_before;
    let q = p + lw.input;
    let from = p.max(lw.threshold);
    let mut lower = Fen::ZERO;
    for segment in &seg.segments {
        let upper = segment.upto.map_or(q, |u| u.min(q));
        let lo = from.max(lower);
        if upper > lo {
            let ratio = segment.ratio.plus(bonus);
            let pay = share(upper - lo, ratio);
            lw.parts.push((lo, upper, ratio, pay));
            lw.raw += pay;
        }
        match segment.upto {
            Some(u) => lower = u,
            None => break,
        }
    }
    let uncapped = has_assist_class && seg.assist_uncapped;
    lw.room = if uncapped { None } else { seg.cap.map(|c| (c - lw.paid_before).max0()) };
    lw.pay = lw.room.map_or(lw.raw, |room| lw.raw.min(room));
}

/// `above_cap`: pays a share of the eligible base the basic fund could not cover because its cap
/// was reached: `uncovered = base − min(base, ceil(cap_left × 10 000 / ratio))`.
fn above_cap_pay(layer_ratio: Bp, cap: Option<Fen>, w: &Workings<'_>, lw: &mut LayerWorking<'_>) {
    lw.uncovered = match w.cap_left {
        Some(left) if w.ratio.get() > 0 && w.pool_raw > left => {
            let ratio = i128::from(w.ratio.get());
            let covered = (i128::from(left.get()) * 10_000 + ratio - 1) / ratio;
            let covered = Fen::new(i64::try_from(covered).expect("covered base fits"));
            w.base - w.base.min(covered)
        }
        _ => Fen::ZERO,
    };
    lw.raw = share(lw.uncovered, layer_ratio);
    lw.room = cap.map(|c| (c - lw.paid_before).max0());
    lw.pay = lw.room.map_or(lw.raw, |room| lw.raw.min(room));
}

/// Medical assistance for persons with an assistance class.
fn run_assistance(input: &FundInput<'_, '_>, w: &mut Workings<'_>, pays: &FundPays) -> Fen {
    let Some(class) = input.person.assist_class else { return Fen::ZERO };
    let Some(assistance) = input.region.assistance_for(class) else { return Fen::ZERO };
    let maf_input = w.eligible_selfpay - pays.hifmi_pay - pays.hifob_pay;
    let raw = share(maf_input, assistance.ratio);
    let room = assistance.annual_cap.map(|cap| (cap - input.year.maf_paid).max0());
    let pay = room.map_or(raw, |r| raw.min(r));
    w.maf = Some(MafWorking { input: maf_input, ratio: assistance.ratio, raw, room, pay });
    pay
}
