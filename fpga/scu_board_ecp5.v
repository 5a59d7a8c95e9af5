// The SCU on an ECP5 board: the PLL (EHXPLLL) makes the system clock from
// the board's oscillator, the ring oscillators (ro_entropy_ecp5.v) give the
// raw random bit, the generated SCU (module `top`, scu-verilog --board) does
// the rest.
// Divider settings come from build.py.
module scu_board (
    input  wire osc,
    input  wire sclk,
    input  wire mosi,
    input  wire cs_n,
    output wire miso,
    output wire led_busy_n
);
    parameter CLKI_DIV = 1;
    parameter CLKFB_DIV = 4;
    parameter CLKOP_DIV = 6;

    wire clock;
    (* FREQUENCY_PIN_CLKI="25" *)
    EHXPLLL #(
        .PLLRST_ENA("DISABLED"),
        .INTFB_WAKE("DISABLED"),
        .STDBY_ENABLE("DISABLED"),
        .DPHASE_SOURCE("DISABLED"),
        .OUTDIVIDER_MUXA("DIVA"),
        .CLKOP_ENABLE("ENABLED"),
        .CLKOP_DIV(CLKOP_DIV),
        .CLKOP_CPHASE(CLKOP_DIV - 1),
        .CLKOP_FPHASE(0),
        .FEEDBK_PATH("CLKOP"),
        .CLKFB_DIV(CLKFB_DIV),
        .CLKI_DIV(CLKI_DIV)
    ) pll (
        .RST(1'b0),
        .STDBY(1'b0),
        .CLKI(osc),
        .CLKOP(clock),
        .CLKFB(clock),
        .CLKINTFB(),
        .PHASESEL0(1'b0),
        .PHASESEL1(1'b0),
        .PHASEDIR(1'b1),
        .PHASESTEP(1'b1),
        .PHASELOADREG(1'b1),
        .PLLWAKESYNC(1'b0),
        .ENCLKOP(1'b0),
        .LOCK()
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
