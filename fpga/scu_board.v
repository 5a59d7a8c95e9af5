// The SCU on a board: the PLL makes the system clock from the board's
// oscillator, the ring oscillators (ro_entropy_*.v) give the raw random
// bit, the generated SCU (module `top`, from scu-verilog --board) does the
// rest. PLL settings come from build.py (icepll's figures).
module scu_board (
    input  wire osc,
    input  wire sclk,
    input  wire mosi,
    input  wire cs_n,
    output wire miso,
    output wire led_busy_n
);
    parameter DIVR = 4'd0;
    parameter DIVF = 7'd52;
    parameter DIVQ = 3'd4;
    parameter FILTER_RANGE = 3'd1;

    wire clock;
    SB_PLL40_PAD #(
        .FEEDBACK_PATH("SIMPLE"),
        .DIVR(DIVR),
        .DIVF(DIVF),
        .DIVQ(DIVQ),
        .FILTER_RANGE(FILTER_RANGE)
    ) pll (
        .PACKAGEPIN(osc),
        .PLLOUTGLOBAL(clock),
        .RESETB(1'b1),
        .BYPASS(1'b0)
    );

    wire entropy;
    ro_entropy oscillators (.bit_out(entropy));

    wire busy;
    top scu (
        .clock(clock),
        .sclk(sclk),
        .mosi(mosi),
        .cs_n(cs_n),
        .entropy(entropy),
        .miso(miso),
        .busy(busy)
    );
    assign led_busy_n = ~busy;
endmodule
