import SkelCairo
import SkelPlot
import Testing

/// Runs → Pango markup, against what the figure model's old markup converter (`MathMarkup.pango`,
/// before text became runs) wrote for the same labels: every TeX label of the kinds, plus escapes,
/// nested scripts and accents. Equal markup is what keeps every figure's bytes as they were.
@Suite struct PangoMarkupTests {
  /// (label, the markup the old converter produced for it), recorded from that converter.
  static let labels: [(String, String)] = [
    ("$(x^2-1)/\\sqrt{2}$", "(<i>x</i><sup>2</sup>\u{2212}1)/√2"),
    ("$1 - \\rho_l$", "1\u{2212}<i>ρ</i><sub><i>l</i></sub>"),
    ("$1 - c^l$", "1\u{2212}<i>c</i><sup><i>l</i></sup>"),
    ("$1/|\\chi_1-1|$", "1/|<i>χ</i><sub>1</sub>\u{2212}1|"),
    ("$2/(\\mathcal{C}''(1)\\,l)$", "2/(𝒞''(1)\u{2009}<i>l</i>)"),
    ("$3\\pi$", "3<i>π</i>"),
    ("$3\\pi(1+a^2)/(1-a)^2$", "3<i>π</i>(1+<i>a</i><sup>2</sup>)/(1\u{2212}<i>a</i>)<sup>2</sup>"),
    (
      "$9\\pi^2(1+a^2)^2/(2(1-a)^4 l^2)$",
      "9<i>π</i><sup>2</sup>(1+<i>a</i><sup>2</sup>)<sup>2</sup>/(2(1\u{2212}<i>a</i>)<sup>4</sup><i>l</i><sup>2</sup>)"
    ),
    ("$9\\pi^2/(2l^2)$", "9<i>π</i><sup>2</sup>/(2<i>l</i><sup>2</sup>)"),
    ("$\\Sigma^{(L)}(\\rho)$", "Σ<sup>(<i>L</i>)</sup>(<i>ρ</i>)"),
    ("$\\Theta^{(L)}(\\rho)$", "Θ<sup>(<i>L</i>)</sup>(<i>ρ</i>)"),
    ("$\\bar k(\\varphi, \\varphi')$", "<i>k\u{304}</i>(<i>φ</i>,<i>φ</i>')"),
    ("$\\chi_1$", "<i>χ</i><sub>1</sub>"),
    ("$\\cos\\theta^{(L)}$", "cos<i>θ</i><sup>(<i>L</i>)</sup>"),
    ("$\\cos\\theta^{(l)}$", "cos<i>θ</i><sup>(<i>l</i>)</sup>"),
    ("$\\frac{2}{\\pi}(\\sqrt{1-\\rho^2}+\\rho\\arcsin\\rho)$", "frac2<i>π</i>(√(1\u{2212}<i>ρ</i><sup>2</sup>)+<i>ρ</i>arcsin<i>ρ</i>)"),
    ("$\\frac{2}{\\pi}\\arcsin\\rho$", "frac2<i>π</i>arcsin<i>ρ</i>"),
    ("$\\frac{\\pi-\\arccos\\rho}{\\pi}$", "frac<i>π</i>\u{2212}arccos<i>ρ</i><i>π</i>"),
    (
      "$\\frac{\\sqrt{1-\\rho^2}+(\\pi-\\arccos\\rho)\\rho}{\\pi}$",
      "frac√(1\u{2212}<i>ρ</i><sup>2</sup>)+(<i>π</i>\u{2212}arccos<i>ρ</i>)<i>ρ</i><i>π</i>"
    ),
    ("$\\hat\\sigma'(\\rho)$", "<i>σ\u{302}</i>'(<i>ρ</i>)"),
    ("$\\hat\\sigma(\\rho)$", "<i>σ\u{302}</i>(<i>ρ</i>)"),
    ("$\\kappa^{(L)}(\\rho)$", "<i>κ</i><sup>(<i>L</i>)</sup>(<i>ρ</i>)"),
    ("$\\kappa_S$", "<i>κ</i><sub><i>S</i></sub>"),
    ("$\\lvert x\\rvert$", "|<i>x</i>|"),
    ("$\\mathbb{E}[\\sigma'(u)\\sigma'(v)]$", "𝔼[<i>σ</i>'(<i>u</i>)<i>σ</i>'(<i>v</i>)]"),
    ("$\\mathbb{E}[\\sigma(u)\\sigma(v)]$", "𝔼[<i>σ</i>(<i>u</i>)<i>σ</i>(<i>v</i>)]"),
    ("$\\mathrm{sign}(x)$", "sign(<i>x</i>)"),
    ("$\\rho$", "<i>ρ</i>"),
    ("$\\rho^2$", "<i>ρ</i><sup>2</sup>"),
    ("$\\rho_0 = $", "<i>ρ</i><sub>0</sub>="),
    ("$\\rho_l$", "<i>ρ</i><sub><i>l</i></sub>"),
    ("$\\sigma^2_{w,c}$", "<i>σ</i><sup>2</sup><sub><i>w</i>,<i>c</i></sub>"),
    ("$\\sigma_b$", "<i>σ</i><sub><i>b</i></sub>"),
    ("$\\sigma_b^2$", "<i>σ</i><sub><i>b</i></sub><sup>2</sup>"),
    ("$\\sigma_w$", "<i>σ</i><sub><i>w</i></sub>"),
    ("$\\sigma_w^2 = $", "<i>σ</i><sub><i>w</i></sub><sup>2</sup>="),
    ("$\\sigma_w^2$", "<i>σ</i><sub><i>w</i></sub><sup>2</sup>"),
    ("$\\sqrt{2}\\,\\mathbf{1}[x\\ge 0]$", "√2\u{2009}<b>1</b>[<i>x</i>≥0]"),
    ("$\\sqrt{2}\\max(0,x)$", "√2max(0,<i>x</i>)"),
    ("$\\theta^{(0)}$", "<i>θ</i><sup>(0)</sup>"),
    ("$\\xi_c$", "<i>ξ</i><sub><i>c</i></sub>"),
    ("$\\xi_q$", "<i>ξ</i><sub><i>q</i></sub>"),
    ("$\\|K_m - K\\|_F / \\|K\\|_F$", "‖<i>K</i><sub><i>m</i></sub>\u{2212}<i>K</i>‖<sub><i>F</i></sub>/‖<i>K</i>‖<sub><i>F</i></sub>"),
    ("$c^*$", "<i>c</i><sup>*</sup>"),
    ("$c^0 = $", "<i>c</i><sup>0</sup>="),
    ("$c^l$", "<i>c</i><sup><i>l</i></sup>"),
    ("$c^{l-1}$", "<i>c</i><sup><i>l</i>\u{2212}1</sup>"),
    ("$e^{\\rho-1}$", "<i>e</i><sup><i>ρ</i>\u{2212}1</sup>"),
    ("$e^{x-1}$", "<i>e</i><sup><i>x</i>\u{2212}1</sup>"),
    ("$k(x, y)$", "<i>k</i>(<i>x</i>,<i>y</i>)"),
    ("$l\\,\\theta_l$", "<i>l</i>\u{2009}<i>θ</i><sub><i>l</i></sub>"),
    ("$q^*$", "<i>q</i><sup>*</sup>"),
    ("$q^0 = $", "<i>q</i><sup>0</sup>="),
    ("$q^l$", "<i>q</i><sup><i>l</i></sup>"),
    ("$q^{l-1}$", "<i>q</i><sup><i>l</i>\u{2212}1</sup>"),
    ("$t$", "<i>t</i>"),
    ("$x$", "<i>x</i>"),
    ("$|\\xi_\\nabla|$", "|<i>ξ</i><sub>∇</sub>|"),
    ("$|k_{\\mathrm{iid}} - k_{\\mathrm{Gauss}}|$", "|<i>k</i><sub>iid</sub>\u{2212}<i>k</i><sub>Gauss</sub>|"),
    ("alignment $A(K_m, YY^\\top)$", "alignment <i>A</i>(<i>K</i><sub><i>m</i></sub>,<i>Y</i><i>Y</i><sup>⊤</sup>)"),
    (
      "alignment error $\\|A\\varphi' - \\varphi\\|^2 / \\|\\varphi\\|^2$",
      "alignment error ‖<i>A</i><i>φ</i>'\u{2212}<i>φ</i>‖<sup>2</sup>/‖<i>φ</i>‖<sup>2</sup>"
    ),
    ("angle $\\theta$", "angle <i>θ</i>"),
    ("anisotropy $s$, $C = \\mathrm{diag}(s, 1)$", "anisotropy <i>s</i>, <i>C</i>=diag(<i>s</i>,1)"),
    ("colored $W$", "colored <i>W</i>"),
    ("eigenvalue $\\lambda$ (bulk mean 1)", "eigenvalue <i>λ</i> (bulk mean 1)"),
    ("eigenvalue $\\lambda_i$ of $K/n$", "eigenvalue <i>λ</i><sub><i>i</i></sub> of <i>K</i>/<i>n</i>"),
    ("index $i$", "index <i>i</i>"),
    ("input angle $\\theta_0$", "input angle <i>θ</i><sub>0</sub>"),
    ("input dimension $n$", "input dimension <i>n</i>"),
    ("layer $l$", "layer <i>l</i>"),
    ("random networks $m$", "random networks <i>m</i>"),
    ("slope $-1$", "slope \u{2212}1"),
    ("slope $-1/2$", "slope \u{2212}1/2"),
    ("std of $k_w - \\kappa_S$", "std of <i>k</i><sub><i>w</i></sub>\u{2212}<i>κ</i><sub><i>S</i></sub>"),
    ("tail sum $\\sum_{j \\ge i} c_j^2 / n$", "tail sum ∑<sub><i>j</i>≥<i>i</i></sub><i>c</i><sub><i>j</i></sub><sup>2</sup>/<i>n</i>"),
    ("test MSE $\\|f_t - f^*\\|^2$", "test MSE ‖<i>f</i><sub><i>t</i></sub>\u{2212}<i>f</i><sup>*</sup>‖<sup>2</sup>"),
    ("training points $n$", "training points <i>n</i>"),
    ("training time $t$", "training time <i>t</i>"),
    ("whitened $G$", "whitened <i>G</i>"),
    ("width $r$", "width <i>r</i>"),
    ("relu", "relu"),
    ("exact gaussian", "exact gaussian"),
    ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
    ("$\\mathbb{R}$ and <b>", "ℝ and &lt;b&gt;"),
    ("depth $L=16$", "depth <i>L</i>=16"),
    ("$x_1^2$", "<i>x</i><sub>1</sub><sup>2</sup>"),
    ("$e^{-x^2}$", "<i>e</i><sup>\u{2212}<i>x</i><sup>2</sup></sup>"),
    ("$x^{a_b c}$", "<i>x</i><sup><i>a</i><sub><i>b</i></sub><i>c</i></sup>"),
    ("$\\hat{x}_1$", "<i>x\u{302}</i><sub>1</sub>"),
    ("$\\tilde\\Sigma^{(L)}_{ij}$", "Σ\u{303}<sup>(<i>L</i>)</sup><sub><i>i</i><i>j</i></sub>"),
    ("$\\mathbf{v}\\cdot\\mathbf{w}$", "<b>v</b>·<b>w</b>"),
    ("$\\mathcal{N}(0, \\sigma^2)$", "𝒩(0,<i>σ</i><sup>2</sup>)"),
    ("$a < b$", "<i>a</i>&lt;<i>b</i>"),
    ("$\\left(\\frac{1}{2}\\right)$", "(frac12)"),
    ("unclosed $x^2", "unclosed $<i>x</i><sup>2</sup>"),
  ]

  @Test(arguments: labels)
  func markupOfRunsIsTheOldMarkup(tex: String, markup: String) {
    #expect(PangoMarkup.markup(MathText.runs(fromTeX: tex)) == markup)
  }

  /// Tick labels were markup strings too: 10<sup>k</sup>, m×10<sup>k</sup>, with true minus signs.
  @Test func tickLabels() {
    let log = TickFormatter.logLabels([0.01, 1, 10, 1000, -100, 0]).map(PangoMarkup.markup)
    #expect(log == ["10<sup>\u{2212}2</sup>", "1", "10", "10<sup>3</sup>", "\u{2212}10<sup>2</sup>", "0"])
    let scientific = TickFormatter.linearLabels([0, 2e6, 4e6]).map(PangoMarkup.markup)
    #expect(scientific == ["0", "2 × 10<sup>6</sup>", "4 × 10<sup>6</sup>"])
  }

  /// Only the backend escapes: characters in runs come out as entities, styles as tags.
  @Test func escapesAndStyles() {
    let runs = [TextRun("(a)", style: .bold), TextRun("<&>"), TextRun("x", style: .italic, scripts: [.superscript, .subscript])]
    #expect(PangoMarkup.markup(runs) == "<b>(a)</b>&lt;&amp;&gt;<sup><sub><i>x</i></sub></sup>")
    #expect(PangoMarkup.markup([TextRun(""), TextRun("", scripts: [.superscript])]) == "")
  }
}
