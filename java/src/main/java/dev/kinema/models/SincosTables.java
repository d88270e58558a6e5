package dev.kinema.models;

/**
 * The fixed sine-cosine position tables of diffusers' DiTs (embeddings.py), computed as diffusers does
 * (float64, grid coordinates in float32 arithmetic) and rounded to float32 once, like the buffers
 * diffusers registers. They are not in checkpoints: every loader recomputes them.
 */
final class SincosTables {
    private SincosTables() {
    }

    /** get_1d_sincos_pos_embed_from_grid: row m = [sin(pos_m w_i)..., cos(pos_m w_i)...], w_i = 10000^(-i/(D/2)). */
    static double[][] table1d(int dim, double[] positions) {
        int half = dim / 2;
        double[][] out = new double[positions.length][dim];
        for (int m = 0; m < positions.length; m++) {
            for (int i = 0; i < half; i++) {
                double omega = 1.0 / Math.pow(10000, i / (dim / 2.0));
                double a = positions[m] * omega;
                out[m][i] = Math.sin(a);
                out[m][half + i] = Math.cos(a);
            }
        }
        return out;
    }

    /**
     * get_2d_sincos_pos_embed for a gh x gw grid of tokens (row-major): the first D/2 channels encode
     * the column coordinate, the last D/2 the row (diffusers builds meshgrid(grid_w, grid_h)).
     * Coordinates are arange(g) / (g / base_size) / interpolation_scale in float32.
     */
    static float[] table2d(int dim, int gh, int gw, int baseSize, double interpolationScale) {
        double[] rows = new double[gh], cols = new double[gw];
        for (int i = 0; i < gh; i++) {
            rows[i] = (float) i / (float) ((double) gh / baseSize) / (float) interpolationScale;
        }
        for (int j = 0; j < gw; j++) {
            cols[j] = (float) j / (float) ((double) gw / baseSize) / (float) interpolationScale;
        }
        double[][] byCol = table1d(dim / 2, cols), byRow = table1d(dim / 2, rows);
        float[] out = new float[gh * gw * dim];
        for (int i = 0; i < gh; i++) {
            for (int j = 0; j < gw; j++) {
                int at = (i * gw + j) * dim;
                for (int c = 0; c < dim / 2; c++) {
                    out[at + c] = (float) byCol[j][c];
                    out[at + dim / 2 + c] = (float) byRow[i][c];
                }
            }
        }
        return out;
    }
}
