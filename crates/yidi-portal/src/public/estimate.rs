//! "我要付多少": the estimator form and its result, with a plain-language explanation of every
//! fen — per line (eligible, pre-self-pay, over the price cap, self-pay) and per layer
//! (deductible, ratio, cap) — and the engine's own step-by-step trace.

use yidi_domain::{BenefitKind, ChrgitmLv, Fen, ListType};
use yidi_hub::public::{
    CatalogRow, ESTIMATE_LINES_MAX, EstimateChoices, EstimateLine, EstimateOutcome, EstimateRequest,
    EstimateView, InputProblem, LayerLine, LineInput,
};

use super::{Ctx, money, options, pct, portal_page};
use crate::html::escape;
use crate::i18n::{Lang, url_encode, with_param, without_param};
use crate::layout::Section;

/// Fee-line rows shown in the form.
const FORM_LINES: usize = 8;
const _: () = assert!(FORM_LINES <= ESTIMATE_LINES_MAX);

/// A catalog lookup asked for from the form: the text searched and the rows found.
pub struct Lookup<'a> {
    pub q: &'a str,
    pub rows: &'a [CatalogRow],
}

/// The estimator page: the form (filled with `req`), a catalog lookup when asked, and, when
/// computed, the result.
pub fn estimate_page(
    ctx: &Ctx,
    choices: &EstimateChoices,
    req: &EstimateRequest,
    result: Option<&Result<EstimateOutcome, Vec<InputProblem>>>,
    lookup: Option<&Lookup<'_>>,
) -> String {
    let lang = ctx.lang;
    let mut b = String::with_capacity(30_000);
    b.push_str(&format!(
        "<h1>{}</h1>\n<p class=\"lead\">{}</p>\n",
        lang.pick("我要付多少", "What will I pay"),
        lang.pick(
            "用与医院结算完全相同的规则（就医地目录、参保地政策）估算一笔费用怎么分摊。估算假设您是本政策年度第一次就医：起付线还没付过，基金限额还没用过；实际结算会扣除您今年已经付过的部分。",
            "The same rules as a real settlement (the treatment place's catalog, your region's policy) split a bill. The estimate assumes your first care of the policy year: no deductible paid yet, no cap used; a real settlement counts what you already paid this year."
        )
    ));
    let lines = match result {
        Some(Ok(EstimateOutcome::Settled { lines, .. } | EstimateOutcome::Refused { lines, .. })) => {
            lines.clone()
        }
        _ => req.lines.clone(),
    };
    if let Some(Err(problems)) = result {
        b.push_str(&problems_html(lang, problems));
    }
    let lookup_html = lookup.map_or_else(String::new, |l| lookup_html(ctx, l, &lines));
    let form = form_html(lang, choices, req, &lines, &lookup_html, lookup.map_or("", |l| l.q));
    if result.is_none() {
        b.push_str(&form);
    }
    match result {
        Some(Ok(EstimateOutcome::Settled { view, .. })) => b.push_str(&result_html(lang, view)),
        Some(Ok(EstimateOutcome::Refused { code, message, .. })) => b.push_str(&format!(
            "<section id=\"estimate-result\" aria-labelledby=\"result-h\"><h2 id=\"result-h\">{}</h2>\n<div class=\"notice error\" role=\"alert\"><p>{}</p><p class=\"muted\">{} <code>{}</code></p></div>\n<p>{}</p></section>\n",
            lang.pick("不能直接结算", "Cannot be settled directly"),
            escape(message),
            lang.pick("原因代码", "Reason code"),
            escape(code),
            lang.pick(
                "这也是医院结算时会得到的答复。需要备案的，请登录后在“我的备案”办理；未开通的，可回参保地手工报销。",
                "This is the answer the hospital would get. If a filing is needed, sign in and file under “My filings”; where care is not open, claim back at home."
            )
        )),
        _ => {}
    }
    if result.is_some() {
        b.push_str(&format!(
            "<h2 id=\"change-h\">{}</h2>\n",
            lang.pick("修改条件再算一次", "Change and estimate again")
        ));
        b.push_str(&form);
    }
    portal_page(ctx, Section::Estimate, lang.pick("我要付多少", "What will I pay"), &b)
}

fn problems_html(lang: Lang, problems: &[InputProblem]) -> String {
    let mut b = format!(
        "<div class=\"notice error\" role=\"alert\" id=\"form-problems\"><p>{}</p><ul>",
        lang.pick("请修改以下内容后再计算：", "Please correct the following:")
    );
    for p in problems {
        b.push_str(&format!(
            "<li><a href=\"#e-{}\">{}</a></li>",
            escape(&p.field),
            escape(lang.pick(&p.message_zh, &p.message_en))
        ));
    }
    b.push_str("</ul></div>\n");
    b
}

fn field(id: &str, label: &str, control: &str, hint: &str) -> String {
    let hint = if hint.is_empty() {
        String::new()
    } else {
        format!("<span class=\"hint\" id=\"{id}-hint\">{hint}</span>")
    };
    format!("<div class=\"field\"><label for=\"{id}\">{label}</label>{control}{hint}</div>\n")
}

/// A labelled drop-down `e-NAME` for the form field `name`, `current` selected, with its hint
/// (none when empty) tied to it for screen readers.
fn choice<'a>(
    name: &str,
    label: &str,
    items: impl IntoIterator<Item = (&'a str, &'a str)>,
    current: &str,
    hint: &str,
) -> String {
    let id = format!("e-{name}");
    let described = if hint.is_empty() { String::new() } else { format!(" aria-describedby=\"{id}-hint\"") };
    let opts = options(items, current.trim());
    field(&id, label, &format!("<select id=\"{id}\" name=\"{name}\"{described}>{opts}</select>"), hint)
}

/// The rows found, each with a link that puts it on the first empty fee line and estimates.
fn lookup_html(ctx: &Ctx, l: &Lookup<'_>, lines: &[LineInput]) -> String {
    let lang = ctx.lang;
    let free = (0..FORM_LINES).find(|i| lines.get(*i).is_none_or(|x| x.code.trim().is_empty()));
    let mut b = format!(
        "<div class=\"card\" id=\"catalog-lookup\" role=\"region\" aria-label=\"{}\"><p>{}</p>",
        lang.pick("目录查找结果", "Catalog lookup"),
        escape(&match lang {
            Lang::Zh => format!("就医地目录中含“{}”的项目（最多 20 项）：", l.q),
            Lang::En => format!("Items of the treatment place's catalog containing “{}” (at most 20):", l.q),
        })
    );
    if l.rows.is_empty() {
        b.push_str(&format!(
            "<p>{}</p></div>\n",
            lang.pick(
                "没有找到。请先选择就医机构，再换个名称试试。",
                "Nothing found. Choose the facility first, or try another name."
            )
        ));
        return b;
    }
    b.push_str("<div class=\"table-wrap\"><table><thead><tr>");
    for (zh, en) in [("编码", "Code"), ("名称", "Name"), ("类别", "Class"), ("限价", "Price cap"), ("", "")]
    {
        b.push_str(&format!("<th scope=\"col\">{}</th>", lang.pick(zh, en)));
    }
    b.push_str("</tr></thead><tbody>");
    // The lines the form shows (the basket included) go into the link, then the new one.
    let mut base = without_param(&without_param(&ctx.here, "lookup"), "q");
    for (i, line) in lines.iter().enumerate().take(FORM_LINES).filter(|(_, x)| !x.code.trim().is_empty()) {
        let n = i + 1;
        base = with_param(&base, &format!("code{n}"), &url_encode(&line.code));
        base = with_param(&base, &format!("qty{n}"), &url_encode(&line.qty));
        base = with_param(&base, &format!("price{n}"), &url_encode(&line.price));
    }
    for r in l.rows {
        let class = match lang {
            Lang::Zh if r.selfpay_prop_bp > 0 => format!(
                "{}{}（先自付 {}）",
                list_type_name(lang, r.list_type),
                lv_name(lang, r.lv),
                pct(r.selfpay_prop_bp)
            ),
            _ => format!("{} · {}", list_type_name(lang, r.list_type), lv_name(lang, r.lv)),
        };
        let restricted = if r.restricted { lang.pick("（有限定）", " (restricted)") } else { "" };
        let add = match free {
            Some(i) => {
                let n = i + 1;
                let price = r.price_cap.map_or_else(|| "10.00".to_string(), |c| c.yuan());
                let href = with_param(
                    &with_param(
                        &with_param(&base, &format!("code{n}"), &url_encode(&r.code)),
                        &format!("qty{n}"),
                        "1",
                    ),
                    &format!("price{n}"),
                    &price,
                );
                format!(
                    "<a href=\"{}#estimate-result\">{}</a>",
                    escape(&href),
                    lang.pick("加入并估算", "Add and estimate")
                )
            }
            None => String::new(),
        };
        b.push_str(&format!(
            "<tr><td>{}</td><td>{}{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            escape(&r.code),
            escape(&r.name),
            restricted,
            escape(&class),
            r.price_cap.map_or_else(|| lang.pick("不设", "none").to_string(), |c| c.yuan()),
            add
        ));
    }
    b.push_str("</tbody></table></div></div>\n");
    b
}

fn form_html(
    lang: Lang,
    c: &EstimateChoices,
    req: &EstimateRequest,
    lines: &[LineInput],
    lookup_html: &str,
    q: &str,
) -> String {
    let mut b =
        String::from("<form method=\"get\" action=\"/estimate\" class=\"card\" id=\"estimate-form\">\n");
    b.push_str(&format!(
        "<fieldset><legend>{}</legend><div class=\"form-grid\">\n",
        lang.pick("您的参保情况", "Your insurance")
    ));
    let choose = lang.pick("请选择", "Choose");
    let regions: Vec<(&str, &str)> = std::iter::once(("", choose))
        .chain(c.regions.iter().map(|(a, n)| (a.as_str(), n.as_str())))
        .collect();
    b.push_str(&choice("insured", lang.pick("参保地", "Insured region"), regions, &req.insured, ""));
    let types = [
        ("", choose),
        ("310", lang.pick("职工医保", "Employee (310)")),
        ("390", lang.pick("居民医保", "Resident (390)")),
    ];
    b.push_str(&choice("insutype", lang.pick("险种", "Scheme"), types, &req.insutype, ""));
    let groups = [
        ("", choose),
        ("in_service", lang.pick("在职职工", "Employee in service")),
        ("retired", lang.pick("退休职工", "Retired employee")),
        ("adult", lang.pick("成年居民", "Adult resident")),
        ("minor", lang.pick("未成年居民（学生儿童）", "Minor resident")),
    ];
    b.push_str(&choice("psn_group", lang.pick("人员类别", "Person group"), groups, &req.psn_group, ""));
    b.push_str(&field(
        "e-acct_balance",
        lang.pick("个人账户余额（元）", "Personal account balance (yuan)"),
        &format!("<input type=\"text\" inputmode=\"decimal\" id=\"e-acct_balance\" name=\"acct_balance\" value=\"{}\" maxlength=\"12\" aria-describedby=\"e-acct_balance-hint\">", escape(&req.acct_balance)),
        lang.pick("职工医保才有个人账户；不填按 0 计", "Employees only; empty counts as 0"),
    ));
    b.push_str("</div></fieldset>\n");
    b.push_str(&format!(
        "<fieldset><legend>{}</legend><div class=\"form-grid\">\n",
        lang.pick("在哪里看病", "Where and what care")
    ));
    let facilities: Vec<(&str, &str)> = std::iter::once(("", choose))
        .chain(c.facilities.iter().map(|(code, label, _, _)| (code.as_str(), label.as_str())))
        .collect();
    b.push_str(&choice("facility", lang.pick("就医机构", "Facility"), facilities, &req.facility, ""));
    let cares = [
        ("", choose),
        ("outpatient", lang.pick("普通门诊 / 药店购药", "General outpatient / pharmacy")),
        ("chronic", lang.pick("门诊慢特病", "Chronic-disease outpatient")),
        ("inpatient", lang.pick("住院", "Inpatient")),
    ];
    b.push_str(&choice("care", lang.pick("就医类型", "Kind of care"), cares, &req.care, ""));
    let diseases: Vec<(&str, &str)> =
        std::iter::once(("", lang.pick("（非慢特病不用选）", "(only for chronic care)")))
            .chain(c.diseases.iter().map(|(a, n)| (a.as_str(), n.as_str())))
            .collect();
    b.push_str(&choice("disease", lang.pick("慢特病病种", "Chronic disease"), diseases, &req.disease, ""));
    let filings = [
        ("", choose),
        (
            "long_term",
            lang.pick(
                "已办长期备案（异地长期居住、安置、常驻工作）",
                "Long-term filing (living, resettled, posted there)",
            ),
        ),
        ("referral", lang.pick("已办转诊备案", "Referral filing")),
        ("other", lang.pick("已办其他临时外出就医备案", "Other temporary filing")),
        ("emergency", lang.pick("急诊抢救（未备案）", "Emergency (no filing)")),
        ("none", lang.pick("没有备案", "No filing")),
    ];
    b.push_str(&choice(
        "filing",
        lang.pick("备案情况", "Filing"),
        filings,
        &req.filing,
        lang.pick("在参保地看病选哪一项都按本地待遇", "Care in your own region is local whatever you choose"),
    ));
    b.push_str("</div></fieldset>\n");
    b.push_str(&format!(
        "<fieldset><legend>{}</legend>\n<p class=\"muted\" id=\"lines-hint\">{}</p>\n<div class=\"table-wrap\"><table><thead><tr><th scope=\"col\">#</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>\n",
        lang.pick("费用明细", "Fee lines"),
        lang.pick(
            "不填则按所选就医类型的典型费用估算（取自就医地目录）。编码是就医地医保目录编码，单价以元为单位。",
            "Leave empty for a typical bill of the chosen care (from the treatment place's catalog). Codes are the treatment province's catalog codes; unit prices in yuan."
        ),
        lang.pick("目录编码", "Catalog code"),
        lang.pick("数量", "Quantity"),
        lang.pick("单价（元）", "Unit price (yuan)"),
    ));
    for i in 0..FORM_LINES {
        let l = lines.get(i).cloned().unwrap_or_default();
        if l.code.is_empty() && i >= lines.iter().filter(|x| !x.code.is_empty()).count() + 3 {
            continue;
        }
        let n = i + 1;
        b.push_str(&format!(
            "<tr id=\"e-line{n}\"><td>{n}</td><td><label class=\"visually-hidden\" for=\"code{n}\">{} {n}</label><input type=\"text\" id=\"code{n}\" name=\"code{n}\" value=\"{}\" maxlength=\"32\" aria-describedby=\"lines-hint\"></td><td><label class=\"visually-hidden\" for=\"qty{n}\">{} {n}</label><input type=\"text\" inputmode=\"decimal\" id=\"qty{n}\" name=\"qty{n}\" value=\"{}\" maxlength=\"12\"></td><td><label class=\"visually-hidden\" for=\"price{n}\">{} {n}</label><input type=\"text\" inputmode=\"decimal\" id=\"price{n}\" name=\"price{n}\" value=\"{}\" maxlength=\"14\"></td></tr>\n",
            lang.pick("目录编码", "Catalog code"),
            escape(&l.code),
            lang.pick("数量", "Quantity"),
            escape(&l.qty),
            lang.pick("单价", "Unit price"),
            escape(&l.price),
        ));
    }
    b.push_str("</tbody></table></div>\n");
    b.push_str(&format!(
        "<div class=\"form-grid\"><div class=\"field\"><label for=\"e-q\">{}</label><input type=\"search\" id=\"e-q\" name=\"q\" value=\"{}\" maxlength=\"32\"></div><div class=\"field\"><button type=\"submit\" name=\"lookup\" value=\"1\" class=\"secondary\" id=\"lookup-submit\">{}</button></div></div>\n",
        lang.pick("在就医地目录中查找项目（名称或编码）", "Look up the treatment place's catalog (name or code)"),
        escape(q),
        lang.pick("查找目录", "Look up")
    ));
    b.push_str(lookup_html);
    b.push_str("</fieldset>\n");
    b.push_str(&format!(
        "<div class=\"actions\"><button type=\"submit\" id=\"estimate-submit\">{}</button><a class=\"button secondary\" href=\"/estimate\">{}</a></div>\n</form>\n",
        lang.pick("计算我要付多少", "Estimate"),
        lang.pick("重新开始", "Start again")
    ));
    b
}

fn split_bar(lang: Lang, v: &EstimateView) -> String {
    let total = v.medfee.get().max(1);
    let layers: Fen = v.layers.iter().map(|l| l.pay).sum();
    let parts = [
        ("c-pool", lang.pick("统筹基金", "Basic pool"), v.hifp_pay),
        ("c-big", lang.pick("大额 / 大病", "Upper layers"), layers),
        ("c-assist", lang.pick("医疗救助", "Assistance"), v.maf_pay),
        ("c-acct", lang.pick("个人账户", "Personal account"), v.acct_pay),
        ("c-cash", lang.pick("个人现金", "Cash"), v.psn_cash_pay),
    ];
    let mut bar = String::from("<div class=\"split\" aria-hidden=\"true\">");
    let mut legend = String::from("<ul class=\"legend\">");
    for (class, label, amount) in parts {
        if amount.get() <= 0 {
            continue;
        }
        let tenths = amount.get() * 1000 / total;
        bar.push_str(&format!(
            "<span class=\"{class}\" style=\"width:{}.{}%\"></span>",
            tenths / 10,
            tenths % 10
        ));
        legend.push_str(&format!("<li><i class=\"{class}\"></i>{} {}</li>", label, money(lang, amount)));
    }
    bar.push_str("</div>");
    legend.push_str("</ul>");
    format!("{bar}{legend}")
}

fn result_html(lang: Lang, v: &EstimateView) -> String {
    let mut b = format!(
        "<section id=\"estimate-result\" aria-labelledby=\"result-h\"><h2 id=\"result-h\">{}</h2>\n",
        lang.pick("估算结果", "Estimate")
    );
    let kind = kind_name(lang, v.kind);
    b.push_str(&format!(
        "<p>{}</p>\n",
        escape(&match lang {
            Lang::Zh => format!(
                "{}参保人在{}（{}）{}，按“{}”结算，服务日期 {}，{} 政策年度（政策自 {} 起执行）。",
                v.insured_name, v.facility_name, v.facility_place, kind, v.filing_class_zh, v.service_date, v.policy_year, v.policy_from
            ),
            Lang::En => format!(
                "Insured in {}, {} care at {} ({}), settled as “{}”, service date {}, policy year {} (policy in force from {}).",
                v.insured_name, kind, v.facility_name, v.facility_place, class_en(v.filing_class), v.service_date, v.policy_year, v.policy_from
            ),
        })
    ));
    b.push_str("<div class=\"grid\">\n");
    let fig = |id: &str, label: &str, amount: Fen| {
        format!(
            "<div class=\"figure\" id=\"{id}\"><div class=\"value\">{}</div><div class=\"caption\">{label}</div></div>\n",
            money(lang, amount)
        )
    };
    b.push_str(&fig("est-total", lang.pick("医疗费总额", "Total bill"), v.medfee));
    b.push_str(&fig("est-fund", lang.pick("医保基金支付", "Paid by the funds"), v.fund_pay_sumamt));
    b.push_str(&fig("est-acct", lang.pick("个人账户支付", "Paid from your account"), v.acct_pay));
    b.push_str(&fig("est-cash", lang.pick("您需要付现金", "You pay in cash"), v.psn_cash_pay));
    b.push_str("</div>\n");
    b.push_str(&split_bar(lang, v));
    b.push_str(&lines_html(lang, v));
    b.push_str(&steps_html(lang, v));
    b.push_str(&format!(
        "<details id=\"trace\"><summary>{}</summary><ol class=\"steps\">",
        lang.pick(
            "结算引擎的逐步计算（含政策与目录出处）",
            "The engine's step-by-step trace (Chinese, with sources)"
        )
    ));
    for step in &v.trace {
        b.push_str(&format!("<li lang=\"zh-CN\">{}</li>", escape(step)));
    }
    b.push_str("</ol></details>\n</section>\n");
    b
}

pub(crate) fn kind_name(lang: Lang, kind: BenefitKind) -> &'static str {
    match kind {
        BenefitKind::Outpatient => lang.pick("普通门诊", "general outpatient"),
        BenefitKind::Chronic => lang.pick("门诊慢特病", "chronic-disease outpatient"),
        BenefitKind::Inpatient => lang.pick("住院", "inpatient"),
    }
}

fn class_en(class: &str) -> &'static str {
    match class {
        "local" => "care in the insured region",
        "long_term" => "long-term filed",
        "referral" => "referral",
        "emergency" => "emergency",
        "other" => "other temporary travel",
        _ => "unfiled",
    }
}

/// Why a line splits as it does, in a sentence.
fn line_reason(lang: Lang, l: &EstimateLine) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(unmet) = l.unmet {
        parts.push(match unmet {
            "med_type" => lang
                .pick(
                    "该项目限定的就医类型不符，医保不支付，全部自费",
                    "Restricted to other kinds of care: fully self-paid",
                )
                .to_string(),
            "min_level" => lang
                .pick(
                    "该项目限定在更高等级的机构使用，医保不支付，全部自费",
                    "Restricted to higher-level facilities: fully self-paid",
                )
                .to_string(),
            _ => lang
                .pick(
                    "该项目限定的诊断不符，医保不支付，全部自费",
                    "Restricted to other diagnoses: fully self-paid",
                )
                .to_string(),
        });
    } else if l.lv == ChrgitmLv::C {
        parts.push(
            lang.pick("丙类项目，医保不支付，全部自费", "Class C: not covered, fully self-paid").to_string(),
        );
    } else {
        if l.overlmt.get() > 0 {
            let cap = l.price_cap.map_or_else(String::new, |c| money(lang, c));
            parts.push(match lang {
                Lang::Zh => format!("单价超过就医地限价 {cap}，超出部分 {} 自费", money(lang, l.overlmt)),
                Lang::En => format!(
                    "Unit price above the cap of {cap}: {} over the cap is self-paid",
                    money(lang, l.overlmt)
                ),
            });
        }
        if l.preselfpay.get() > 0 {
            parts.push(match lang {
                Lang::Zh => format!(
                    "乙类项目先由个人自付 {}（{}）",
                    pct(l.selfpay_prop_bp),
                    money(lang, l.preselfpay)
                ),
                Lang::En => format!(
                    "Class B: you first pay {} ({})",
                    pct(l.selfpay_prop_bp),
                    money(lang, l.preselfpay)
                ),
            });
        }
        if l.lv == ChrgitmLv::A {
            parts.push(
                lang.pick("甲类项目，全部进入医保支付范围", "Class A: all of it is eligible").to_string(),
            );
        } else if l.preselfpay.get() == 0 && l.overlmt.get() == 0 {
            parts.push(lang.pick("全部进入医保支付范围", "All of it is eligible").to_string());
        }
    }
    parts.join(lang.pick("；", "; "))
}

fn list_type_name(lang: Lang, t: ListType) -> &'static str {
    match t {
        ListType::Drug => lang.pick("药品", "drug"),
        ListType::Service => lang.pick("诊疗项目", "service"),
        ListType::Material => lang.pick("医用耗材", "material"),
    }
}

fn lv_name(lang: Lang, lv: ChrgitmLv) -> &'static str {
    match lv {
        ChrgitmLv::A => lang.pick("甲类", "class A"),
        ChrgitmLv::B => lang.pick("乙类", "class B"),
        ChrgitmLv::C => lang.pick("丙类", "class C"),
    }
}

fn lines_html(lang: Lang, v: &EstimateView) -> String {
    let mut b = format!(
        "<h3>{}</h3>\n<p class=\"muted\">{}</p>\n<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-label=\"{}\"><table id=\"estimate-lines\"><thead><tr>",
        lang.pick("第一步：每一行费用分成四部分", "Step 1: each fee line splits into four parts"),
        lang.pick(
            "金额 = 全自费 + 超限价自费 + 先行自付 + 符合医保范围。只有“符合范围”的部分进入下面的起付线和报销比例计算。",
            "Amount = fully self-paid + over the price cap + pre-self-pay + eligible. Only the eligible part goes on to the deductible and the ratio below."
        ),
        lang.pick("费用明细", "Fee lines")
    );
    for (zh, en, num) in [
        ("项目", "Item", false),
        ("数量 × 单价", "Qty × price", true),
        ("金额", "Amount", true),
        ("全自费", "Self-paid", true),
        ("超限价", "Over cap", true),
        ("先行自付", "Pre-self-pay", true),
        ("符合范围", "Eligible", true),
        ("说明", "Why", false),
    ] {
        let class = if num { " class=\"num\"" } else { "" };
        b.push_str(&format!("<th scope=\"col\"{class}>{}</th>", lang.pick(zh, en)));
    }
    b.push_str("</tr></thead><tbody>\n");
    for l in &v.lines {
        b.push_str(&format!(
            "<tr><td>{} <span class=\"muted\">{} · {} · {}</span></td><td class=\"num\">{} × {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
            escape(&l.name),
            escape(&l.code),
            list_type_name(lang, l.list_type),
            lv_name(lang, l.lv),
            escape(&l.qty),
            escape(&l.price),
            l.amount.yuan(),
            l.fulamt_ownpay.yuan(),
            l.overlmt.yuan(),
            l.preselfpay.yuan(),
            l.inscp.yuan(),
            escape(&line_reason(lang, l)),
        ));
    }
    b.push_str(&format!(
        "</tbody><tfoot><tr><td>{}</td><td></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td></td></tr></tfoot></table></div>\n",
        lang.pick("合计", "Total"),
        v.medfee.yuan(),
        v.fulamt_ownpay.yuan(),
        v.overlmt.yuan(),
        v.preselfpay.yuan(),
        v.inscp.yuan()
    ));
    b
}

fn layer_name(lang: Lang, field: &str) -> &'static str {
    match field {
        "hifob" => lang.pick("职工大额医疗费用补助", "Employees' large-amount subsidy"),
        _ => lang.pick("城乡居民大病保险", "Residents' critical-illness insurance"),
    }
}

fn steps_html(lang: Lang, v: &EstimateView) -> String {
    let m = |f: Fen| money(lang, f);
    let mut steps: Vec<String> = Vec::new();
    if v.moved_to_preselfpay.get() > 0 {
        steps.push(match lang {
            Lang::Zh => format!("参保地对这类异地就医规定先由个人多负担一部分：从符合范围中转为先行自付 {}。", m(v.moved_to_preselfpay)),
            Lang::En => format!("Your region makes this kind of care pay an extra share first: {} moves from eligible to pre-self-pay.", m(v.moved_to_preselfpay)),
        });
    }
    if v.excluded {
        steps.push(lang.pick(
            "参保地规定：这类人员的这项待遇不由统筹基金支付，符合范围的费用由个人账户或现金支付。",
            "Your region does not pay this kind of care for this filing from the pool: the eligible part is paid from your account or in cash.",
        ).to_string());
    }
    let dedc = match v.deductible_kind {
        None => lang.pick("该待遇不设起付线。", "This benefit has no deductible.").to_string(),
        Some(kind) => {
            let per = match (kind, lang) {
                ("per_year", Lang::Zh) => "每个政策年度",
                ("per_visit", Lang::Zh) => "每次就诊",
                ("per_admission", Lang::Zh) => "每次住院",
                (_, Lang::Zh) => "按费用比例",
                ("per_year", Lang::En) => "per policy year",
                ("per_visit", Lang::En) => "per visit",
                ("per_admission", Lang::En) => "per admission",
                (_, Lang::En) => "as a share of the bill",
            };
            match lang {
                Lang::Zh => format!(
                    "起付线（{per}）：本次起付线还剩 {}，从符合范围的 {} 中先由个人支付 {}。",
                    m(v.deductible_remaining),
                    m(v.inscp - v.moved_to_preselfpay),
                    m(v.act_pay_dedc)
                ),
                Lang::En => format!(
                    "Deductible ({per}): {} left to pay; of the eligible {}, you first pay {}.",
                    m(v.deductible_remaining),
                    m(v.inscp - v.moved_to_preselfpay),
                    m(v.act_pay_dedc)
                ),
            }
        }
    };
    steps.push(dedc);
    let ratio = if v.ratio_bp == v.local_ratio_bp {
        match lang {
            Lang::Zh => {
                format!("报销比例 {}（参保地政策，按{}机构）。", pct(v.ratio_bp), level_zh(v.facility_level))
            }
            Lang::En => format!(
                "Ratio {} (your region's policy for a level-{} facility).",
                pct(v.ratio_bp),
                v.facility_level.max(1)
            ),
        }
    } else {
        match lang {
            Lang::Zh => format!(
                "报销比例：参保地本地比例 {}，因“{}”调整为 {}。",
                pct(v.local_ratio_bp),
                v.filing_class_zh,
                pct(v.ratio_bp)
            ),
            Lang::En => format!(
                "Ratio: your region's local {} becomes {} for “{}”.",
                pct(v.local_ratio_bp),
                pct(v.ratio_bp),
                class_en(v.filing_class)
            ),
        }
    };
    steps.push(ratio);
    let cap = match (v.annual_cap, v.cap_left) {
        (Some(cap), Some(left)) => match lang {
            Lang::Zh => format!("统筹基金年度限额 {}，本次前还剩 {}。", m(cap), m(left)),
            Lang::En => {
                format!("Annual cap of the basic pool {}; {} left before this bill.", m(cap), m(left))
            }
        },
        _ => lang.pick("统筹基金不设年度限额。", "The basic pool has no annual cap.").to_string(),
    };
    steps.push(cap);
    steps.push(match lang {
        Lang::Zh => format!(
            "统筹基金支付：（符合范围 − 起付线）{} × {} = {}，受限额约束后实际支付 {}。",
            m(v.base),
            pct(v.ratio_bp),
            m(v.pool_raw),
            m(v.hifp_pay)
        ),
        Lang::En => format!(
            "Basic pool pays: (eligible − deductible) {} × {} = {}; after the cap it pays {}.",
            m(v.base),
            pct(v.ratio_bp),
            m(v.pool_raw),
            m(v.hifp_pay)
        ),
    });
    for l in &v.layers {
        steps.push(layer_text(lang, l));
    }
    if v.maf_pay.get() > 0 {
        steps.push(match lang {
            Lang::Zh => format!("医疗救助支付 {}。", m(v.maf_pay)),
            Lang::En => format!("Medical assistance pays {}.", m(v.maf_pay)),
        });
    }
    steps.push(match lang {
        Lang::Zh => format!(
            "个人负担 = 总额 {} − 基金支付 {} = {}；其中个人账户（余额 {}）支付 {}，现金支付 {}。",
            m(v.medfee),
            m(v.fund_pay_sumamt),
            m(v.psn_part_amt),
            m(v.acct_balance),
            m(v.acct_pay),
            m(v.psn_cash_pay)
        ),
        Lang::En => format!(
            "Your share = total {} − funds {} = {}; your account (balance {}) pays {}, cash {}.",
            m(v.medfee),
            m(v.fund_pay_sumamt),
            m(v.psn_part_amt),
            m(v.acct_balance),
            m(v.acct_pay),
            m(v.psn_cash_pay)
        ),
    });
    let mut b = format!(
        "<h3>{}</h3>\n<ol class=\"steps\" id=\"estimate-steps\">",
        lang.pick("第二步：基金怎么付（按层计算）", "Step 2: how the funds pay, layer by layer")
    );
    for s in steps {
        b.push_str(&format!("<li>{}</li>", escape(&s)));
    }
    b.push_str("</ol>\n");
    b
}

fn level_zh(level: u8) -> &'static str {
    match level {
        0 | 1 => "一级（药店按一级）",
        2 => "二级",
        _ => "三级",
    }
}

fn layer_text(lang: Lang, l: &LayerLine) -> String {
    let m = |f: Fen| money(lang, f);
    let parts: Vec<String> = l
        .parts
        .iter()
        .map(|(lo, hi, bp, pay)| match lang {
            Lang::Zh => format!("{}–{} 段按 {} 付 {}", m(*lo), m(*hi), pct(*bp), m(*pay)),
            Lang::En => format!("{}–{} at {} pays {}", m(*lo), m(*hi), pct(*bp), m(*pay)),
        })
        .collect();
    let room = l.room.map_or_else(String::new, |r| match lang {
        Lang::Zh => format!("，年度限额还剩 {}", m(r)),
        Lang::En => format!(", {} left under its annual cap", m(r)),
    });
    match lang {
        Lang::Zh => format!(
            "{}：计入 {}，起付 {}{}{}；本次支付 {}。",
            layer_name(lang, l.field),
            m(l.input),
            m(l.threshold),
            if parts.is_empty() { String::new() } else { format!("，{}", parts.join("，")) },
            room,
            m(l.pay)
        ),
        Lang::En => format!(
            "{}: counts {}, threshold {}{}{}; pays {}.",
            layer_name(lang, l.field),
            m(l.input),
            m(l.threshold),
            if parts.is_empty() { String::new() } else { format!("; {}", parts.join("; ")) },
            room,
            m(l.pay)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_and_problems_are_escaped_and_every_field_is_labelled() {
        let req = EstimateRequest {
            insured: "\"><script>".into(),
            acct_balance: "<img src=x>".into(),
            lines: vec![LineInput { code: "<b>X</b>".into(), qty: "1".into(), price: "\"".into() }],
            ..EstimateRequest::default()
        };
        let problems = vec![InputProblem {
            field: "line1\"><x".into(),
            message_zh: "<script>alert(1)</script>".into(),
            message_en: "x".into(),
        }];
        let html =
            estimate_page(&Ctx::default(), &EstimateChoices::default(), &req, Some(&Err(problems)), None);
        assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<b>X"));
        assert!(html.contains("&lt;b&gt;X&lt;/b&gt;"));
        for id in [
            "e-insured",
            "e-insutype",
            "e-psn_group",
            "e-acct_balance",
            "e-facility",
            "e-care",
            "e-disease",
            "e-filing",
            "code1",
            "qty1",
            "price1",
            "e-q",
        ] {
            assert!(
                html.contains(&format!("<label for=\"{id}\"")) || html.contains(&format!("for=\"{id}\">")),
                "{id} has a label"
            );
        }
    }
}
