// The SCU on a board: the PLL makes the system clock from the board's
// oscillator, the generated SCU (module `top`, from scu-verilog --scu) does
// the rest. Its trace outputs (dev_valid, dev_pc) are left open and removed
// by synthesis. PLL settings come from build.py (icepll's figures).
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

    wire busy;
    top scu (
        .clock(clock),
        .sclk(sclk),
        .mosi(mosi),
        .cs_n(cs_n),
        .miso(miso),
        .busy(busy),
        .dev_valid(),
        .dev_pc()
    );
    assign led_busy_n = ~busy;
endmodule
