/// Scalar ports of the Cephes-style `log256_ps` and `sincos256_ps` from PyTorch's
/// `aten/src/ATen/native/cpu/avx_mathfun.h`, operation for operation, so that `torch.randn` noise
/// is reproduced bit for bit (libm differs in the last ulp). PyTorch's AVX2 kernels are built by GCC
/// with `-mfma` and its default `-ffp-contract=fast`, which turns each multiply whose only use is an
/// add into one fused multiply-add; the `addingProduct` calls below sit exactly where GCC fuses.
enum CephesMath {
    /// The C source writes its constants as double literals stored into floats; converting from
    /// `Double` here rounds the same way (a Swift `Float` literal could round differently).
    @inline(__always)
    private static func d(_ value: Double) -> Float { Float(value) }

    @inline(__always)
    static func log(_ input: Float) -> Float {
        let invalid = input <= 0
        var x = max(input, Float(bitPattern: 0x0080_0000))
        var exponent = Int32(bitPattern: x.bitPattern >> 23)
        x = Float(bitPattern: (x.bitPattern & ~UInt32(0x7F80_0000)) | Float(0.5).bitPattern)
        exponent -= 0x7F
        var e = Float(exponent)
        e = e + 1
        let below = x < d(0.707106781186547524)
        let tmp: Float = below ? x : 0
        x = x - 1
        e = e - (below ? 1 : 0)
        x = x + tmp

        let z = x * x
        var y: Float = d(7.0376836292E-2)
        y = d(-1.1514610310E-1).addingProduct(y, x)
        y = d(1.1676998740E-1).addingProduct(y, x)
        y = d(-1.2420140846E-1).addingProduct(y, x)
        y = d(1.4249322787E-1).addingProduct(y, x)
        y = d(-1.6668057665E-1).addingProduct(y, x)
        y = d(2.0000714765E-1).addingProduct(y, x)
        y = d(-2.4999993993E-1).addingProduct(y, x)
        y = d(3.3333331174E-1).addingProduct(y, x)
        y = y * x
        // GCC fuses the first multiply it meets with the add that consumes it: (y·z) + (e·q1).
        y = (e * d(-2.12194440E-4)).addingProduct(y, z)
        y = y.addingProduct(-z, d(0.5))
        x = x + y
        x = x.addingProduct(e, d(0.693359375))
        return invalid ? .nan : x
    }

    @inline(__always)
    static func sincos(_ input: Float) -> (sin: Float, cos: Float) {
        var signSin = input.bitPattern & 0x8000_0000
        var x = Float(bitPattern: input.bitPattern & 0x7FFF_FFFF)
        var y = x * d(1.27323954473516)

        var j = Int32(y)  // cvttps: truncation
        j = (j &+ 1) & ~1
        y = Float(j)
        let swapSignSin = UInt32(bitPattern: (j & 4) << 29)
        let polyMask = (j & 2) == 0

        x = x.addingProduct(y, d(-0.78515625))
        x = x.addingProduct(y, d(-2.4187564849853515625e-4))
        x = x.addingProduct(y, d(-3.77489497744594108e-8))

        let signCos = UInt32(bitPattern: (~(j &- 2) & 4) << 29)
        signSin ^= swapSignSin

        let z = x * x
        var c: Float = d(2.443315711809948E-005)
        c = d(-1.388731625493765E-003).addingProduct(c, z)
        c = d(4.166664568298827E-002).addingProduct(c, z)
        c = c * z
        c = (-(z * d(0.5))).addingProduct(c, z)
        c = c + 1

        var s: Float = d(-1.9515295891E-4)
        s = d(8.3321608736E-3).addingProduct(s, z)
        s = d(-1.6666654611E-1).addingProduct(s, z)
        s = s * z
        s = x.addingProduct(s, x)

        // Blend exactly as the vector code does (masked values plus zero), keeping zero signs identical.
        let sinPart: Float = polyMask ? s : 0
        let cosPartForSin: Float = polyMask ? 0 : c
        let sinResult = cosPartForSin + sinPart
        let cosResult = (c - cosPartForSin) + (s - sinPart)
        return (
            Float(bitPattern: sinResult.bitPattern ^ signSin),
            Float(bitPattern: cosResult.bitPattern ^ signCos)
        )
    }
}
