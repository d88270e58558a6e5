package dev.kinema.ref;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kinema.DType;
import dev.kinema.InvalidArgumentException;
import dev.kinema.Tensor;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Bad requests are refused with the op, the argument and the expected vs. actual value. */
class ReferenceValidationTest {
    private final Map<String, Tensor> inputs = new HashMap<>();

    @AfterEach
    void close() {
        inputs.values().forEach(Tensor::close);
    }

    private Map<String, Tensor> conv(long[] x, long[] w) {
        inputs.put("x", Tensor.host(DType.F32, x));
        inputs.put("w", Tensor.host(DType.F32, w));
        return inputs;
    }

    private static void refused(String op, String argument, String text, Map<String, Tensor> in, Map<String, String> attrs) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> ReferenceOps.run(op, in, attrs));
        assertEquals(argument, e.argument(), e.getMessage());
        assertTrue(e.getMessage().contains(text), e.getMessage());
    }

    @Test
    void unknownOp() {
        refused("conv_nope", "op", "got 'conv_nope'", inputs, Map.of());
    }

    @Test
    void unknownAndMissingInputs() {
        Map<String, Tensor> in = conv(new long[] {1, 1, 2, 2, 3}, new long[] {4, 3, 1, 3, 3});
        in.put("z", Tensor.host(DType.F32, 1));
        refused("conv_spatial", "z", "unknown input 'z'", in, Map.of());
        inputs.remove("z").close();
        inputs.remove("w").close();
        refused("conv_spatial", "w", "got none", in, Map.of());
    }

    @Test
    void wrongShapes() {
        refused("conv_spatial", "w", "got [4, 2, 1, 3, 3]", conv(new long[] {1, 1, 2, 2, 3}, new long[] {4, 2, 1, 3, 3}), Map.of());
        close();
        inputs.clear();
        refused("conv_spatial", "w", "k in {1,3}", conv(new long[] {1, 1, 2, 2, 3}, new long[] {4, 3, 1, 5, 5}), Map.of());
        close();
        inputs.clear();
        refused("conv_temporal", "x", "rank 5", conv(new long[] {1, 2, 2, 3}, new long[] {4, 3, 3, 1, 1}), Map.of());
        close();
        inputs.clear();
        Map<String, Tensor> in = conv(new long[] {1, 1, 5, 5, 3}, new long[] {4, 3, 1, 3, 3});
        in.put("residual", Tensor.host(DType.F32, 1, 1, 5, 5, 4));
        refused("conv_spatial", "residual", "expected shape [1, 1, 3, 3, 4], got [1, 1, 5, 5, 4]", in, Map.of("stride", "2"));
        in.put("b", Tensor.host(DType.F32, 3));
        refused("conv_spatial", "b", "expected shape [4]", in, Map.of());
    }

    @Test
    void badAttributes() {
        Map<String, Tensor> in = conv(new long[] {1, 1, 2, 2, 3}, new long[] {4, 3, 1, 3, 3});
        refused("conv_spatial", "stride", "expected 1 or 2, got 3", in, Map.of("stride", "3"));
        refused("conv_spatial", "dilation", "unknown attribute dilation=2", in, Map.of("dilation", "2"));
        refused("conv_temporal", "stride", "no attributes", new HashMap<>(Map.of("x", inputs.get("x"),
                "w", inputs.get("w"))), Map.of("stride", "1"));
    }

    @Test
    void badDdimAttributes() {
        inputs.put("x", Tensor.host(DType.F32, 4));
        inputs.put("out_c", Tensor.host(DType.F32, 4));
        Map<String, String> ok = Map.of("alpha_t", "0.6", "sigma_t", "0.8", "alpha_s", "0.8", "sigma_s", "0.6");
        refused("ddim_step", "alpha_t", "required", inputs, Map.of("sigma_t", "0.8", "alpha_s", "0.8", "sigma_s", "0.6"));
        Map<String, String> bad = new HashMap<>(ok);
        bad.put("eta", "-0.5");
        refused("ddim_step", "eta", "expected a number >= 0, got -0.5", inputs, bad);
        bad = new HashMap<>(ok);
        bad.put("prediction", "score");
        refused("ddim_step", "prediction", "got score", inputs, bad);
        bad = new HashMap<>(ok);
        bad.put("guidance", "lots");
        refused("ddim_step", "guidance", "expected a number", inputs, bad);
        bad = new HashMap<>(ok);
        bad.put("sigma_s", "NaN");
        refused("ddim_step", "sigma_s", "finite", inputs, bad);
        inputs.put("noise", Tensor.host(DType.F32, 5));
        refused("ddim_step", "noise", "expected shape [4], got [5]", inputs, ok);
    }
}
