#include "model/sincos.h"

#include <cstdint>

namespace quantlab {

namespace {

// fdlibm's constants (facts, from its e_rem_pio2.c, k_sin.c and k_cos.c):
// 2/pi; pi/2 as three parts, the first two with 33 significant bits so that
// n * part is exact for |n| < 2^20; and the minimax polynomials of sin and
// cos on [-pi/4, pi/4].
constexpr double kInvPio2 = 6.36619772367581382433e-01;
constexpr double kPio2_1 = 1.57079632673412561417e+00;
constexpr double kPio2_2 = 6.07710050630396597660e-11;
constexpr double kPio2_2t = 2.02226624879595063154e-21;
constexpr double kS1 = -1.66666666666666324348e-01, kS2 = 8.33333333332248946124e-03,
                 kS3 = -1.98412698298579493134e-04, kS4 = 2.75573137070700676789e-06,
                 kS5 = -2.50507602534068634195e-08, kS6 = 1.58969099521155010221e-10;
constexpr double kC1 = 4.16666666666666019037e-02, kC2 = -1.38888888888741095749e-03,
                 kC3 = 2.48015872894767294178e-05, kC4 = -2.75573143513906633035e-07,
                 kC5 = 2.08757232129817482790e-09, kC6 = -1.13596475577881948265e-11;
// 1.5 * 2^52: added and subtracted, rounds |v| < 2^51 to an integer (ties to even).
constexpr double kRoundDouble = 6755399441055744.0;

double sin_kernel(double r) {
    const double z = r * r;
    return r + r * z * (kS1 + z * (kS2 + z * (kS3 + z * (kS4 + z * (kS5 + z * kS6)))));
}

double cos_kernel(double r) {
    const double z = r * r;
    return (1.0 - 0.5 * z) + z * z * (kC1 + z * (kC2 + z * (kC3 + z * (kC4 + z * (kC5 + z * kC6)))));
}

}  // namespace

void sincos_rope(float x, float* s, float* c) {
    const double t = double(x);
    const double n = (t * kInvPio2 + kRoundDouble) - kRoundDouble;  // nearest multiple of pi/2
    const double r = ((t - n * kPio2_1) - n * kPio2_2) - n * kPio2_2t;
    const double sr = sin_kernel(r), cr = cos_kernel(r);
    switch (int64_t(n) & 3) {
        case 0: *s = float(sr), *c = float(cr); break;
        case 1: *s = float(cr), *c = float(-sr); break;
        case 2: *s = float(-sr), *c = float(-cr); break;
        default: *s = float(-cr), *c = float(sr); break;
    }
}

}  // namespace quantlab
