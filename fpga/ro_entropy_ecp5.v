// Raw entropy for the SCU on ECP5: RINGS free-running ring oscillators of
// odd lengths 3, 5, 7, 9, ... (different lengths so that they do not lock
// to each other), each inverter one LUT4 kept through synthesis and
// placement, their outputs XORed. The bit is asynchronous: the SCU
// synchronises it, health-tests it (repetition count, adaptive proportion)
// and conditions it with SHA-256. Its entropy per bit has not been
// measured on hardware; no board was attached when this was written.
module ro_entropy #(parameter RINGS = 8) (output wire bit_out);
    wire [RINGS-1:0] taps;
    genvar i, j;
    generate
        for (i = 0; i < RINGS; i = i + 1) begin : ring
            localparam LEN = 3 + 2 * (i % 4);
            (* keep *) wire [LEN-1:0] n;
            for (j = 0; j < LEN; j = j + 1) begin : inv
                (* keep *) LUT4 #(.INIT(16'h5555)) lut (
                    .Z(n[j]), .A(n[(j + LEN - 1) % LEN]), .B(1'b0), .C(1'b0), .D(1'b0)
                );
            end
            assign taps[i] = n[0];
        end
    endgenerate
    assign bit_out = ^taps;
endmodule
