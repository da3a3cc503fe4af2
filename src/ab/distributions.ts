/**
 * The distributions under the A/B statistics: normal, Student t and chi-square, from the
 * regularized incomplete gamma and beta functions (Numerical Recipes 3rd ed. §6.1–6.4), and
 * Welch's degrees of freedom. Values are checked against scipy in test/unit/ab-stats.test.ts.
 */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) (Lanczos, g = 7; relative error ~1e-15). @example `lnGamma(5) // ln 24` */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0] as number;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += (LANCZOS[i] as number) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

const EPS = 1e-16;
const TINY = 1e-300;

/**
 * Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a).
 * @example `gammaQ(1, 2) // e^-2`
 */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  const lnPre = -x + a * Math.log(x) - lnGamma(a);
  if (x < a + 1) {
    // series for P
    let ap = a;
    let del = 1 / a;
    let sum = del;
    for (let n = 0; n < 10_000; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * EPS) break;
    }
    return 1 - sum * Math.exp(lnPre);
  }
  // continued fraction for Q (modified Lentz)
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return Math.exp(lnPre) * h;
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaCf(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h;
}

/**
 * Regularized incomplete beta I_x(a, b).
 * @example `betaInc(0.5, 2, 2) // 0.5`
 */
export function betaInc(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaCf(a, b, x)) / a;
  return 1 - (Math.exp(lnFront) * betaCf(b, a, 1 - x)) / b;
}

/** Standard normal density. @example `normalPdf(0) // 0.3989…` */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/** Standard normal CDF Φ(x), accurate in both tails. @example `normalCdf(1.959964) // 0.975` */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const tail = 0.5 * gammaQ(0.5, 0.5 * x * x);
  return x < 0 ? tail : 1 - tail;
}

/** Upper tail 1 − Φ(x), without cancellation. @example `normalSf(3) // 0.0013499…` */
export function normalSf(x: number): number {
  return normalCdf(-x);
}

/** Solves `cdf(x) = p` on a bracket by Newton steps that fall back to bisection. */
function invert(cdf: (x: number) => number, pdf: (x: number) => number, p: number, lo: number, hi: number): number {
  let x = 0.5 * (lo + hi);
  for (let i = 0; i < 200; i++) {
    const f = cdf(x) - p;
    if (f === 0) return x;
    if (f < 0) lo = x;
    else hi = x;
    const step = f / pdf(x);
    let next = x - step;
    if (!(next > lo && next < hi) || !Number.isFinite(next)) next = 0.5 * (lo + hi);
    if (Math.abs(next - x) <= 1e-15 * Math.max(1, Math.abs(x))) return next;
    x = next;
  }
  return x;
}

/** Standard normal quantile Φ⁻¹(p). @example `normalQuantile(0.975) // 1.959963984540054` */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  if (p > 0.5) return -normalQuantile(1 - p);
  return invert(normalCdf, normalPdf, p, -40, 0);
}

/** Student t density with `df` degrees of freedom. @example `studentTPdf(0, 10)` */
export function studentTPdf(t: number, df: number): number {
  if (df === Infinity) return normalPdf(t);
  return Math.exp(lnGamma((df + 1) / 2) - lnGamma(df / 2) - 0.5 * Math.log(df * Math.PI) - ((df + 1) / 2) * Math.log1p((t * t) / df));
}

/** Student t CDF via I_{df/(df+t²)}(df/2, 1/2); `df` may be fractional (Welch). @example `studentTCdf(2.228, 10) // ≈ 0.975` */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (df === Infinity) return normalCdf(t);
  const tail = 0.5 * betaInc(df / (df + t * t), df / 2, 0.5);
  return t < 0 ? tail : 1 - tail;
}

/** Student t quantile. @example `studentTQuantile(0.975, 10) // 2.2281388519649385` */
export function studentTQuantile(p: number, df: number): number {
  if (!(p >= 0 && p <= 1) || !(df > 0)) return NaN;
  if (df === Infinity) return normalQuantile(p);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p > 0.5) return -studentTQuantile(1 - p, df);
  let lo = -1;
  while (studentTCdf(lo, df) > p) lo *= 2;
  return invert(
    (t) => studentTCdf(t, df),
    (t) => studentTPdf(t, df),
    p,
    lo,
    0,
  );
}

/** Chi-square upper tail P(X > x) with `k` degrees of freedom. @example `chiSquareSf(3.841458820694124, 1) // 0.05` */
export function chiSquareSf(x: number, k: number): number {
  return gammaQ(k / 2, x / 2);
}

/**
 * Welch–Satterthwaite degrees of freedom from two sample variances and sizes.
 * @example `welchDf(4, 10, 9, 12)`
 */
export function welchDf(var0: number, n0: number, var1: number, n1: number): number {
  const a = var0 / n0;
  const b = var1 / n1;
  return (a + b) ** 2 / ((a * a) / (n0 - 1) + (b * b) / (n1 - 1));
}
