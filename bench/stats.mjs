// Order statistics shared by the benches: quantiles and a distribution-free interval for a median.

export const sorted = (xs) => xs.toSorted((a, b) => a - b);

/** Quantile q of xs, linear between order statistics. */
export const quantile = (xs, q) => {
  const s = sorted(xs);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (at - lo);
};

export const median = (xs) => quantile(xs, 0.5);

/**
 * A distribution-free interval for the median of xs: its k-th smallest and k-th largest
 * values, with k the largest for which the interval covers the median with probability
 * >= level (binomial, n = xs.length; 12 rounds: k = 3, 96%). [min, max] when n is too small.
 */
export function medianInterval(xs, level = 0.9) {
  const n = xs.length;
  let k = 1;
  let p = 0.5 ** n; // P(B = k - 1), B ~ Binomial(n, 1/2)
  let cdf = p; // P(B <= k - 1); the interval of k covers the median with 1 - 2 cdf
  while (k + 1 <= n / 2) {
    p = (p * (n - k + 1)) / k;
    if (1 - 2 * (cdf + p) < level) break;
    cdf += p;
    k++;
  }
  const s = sorted(xs);
  return { lo: s[k - 1], hi: s[n - k], coverage: 1 - 2 * cdf };
}
