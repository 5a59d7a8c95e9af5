//! Frames over SPI: send a request transaction, poll response transactions
//! until the device answers this request's tag, check the CRC. Time is
//! bounded: every wait goes through `DelayNs` and is counted against
//! [`Timing::timeout_us`].

use core::fmt;
use embedded_hal::delay::DelayNs;
use embedded_hal::spi::SpiDevice;
use scu_model::protocol::{self, status, FrameError};

/// Largest request transaction.
pub const REQUEST_BUF: usize = 1 + protocol::REQUEST_HEADER + protocol::MAX_REQUEST_PAYLOAD + 2;
/// Largest response transaction.
pub const RESPONSE_BUF: usize = protocol::response_transaction_len(protocol::MAX_RESPONSE_PAYLOAD);
/// A response transaction that carries a status with no payload.
const SHORT_READ: usize = protocol::response_transaction_len(0);

/// Polling and retry policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// First wait after a request.
    pub first_poll_us: u32,
    /// Longest wait between polls (the wait doubles up to it).
    pub max_poll_us: u32,
    /// Give up on a command after this long.
    pub timeout_us: u64,
    /// Re-reads of a response whose CRC is wrong.
    pub read_retries: u8,
    /// Re-sends of a request the device did not take (it was busy).
    pub send_retries: u8,
}

impl Default for Timing {
    fn default() -> Self {
        // The slowest command (ECDSA at one lane) takes 1.4 M cycles, about
        // 35 ms at 40 MHz.
        Timing {
            first_poll_us: 20,
            max_poll_us: 2_000,
            timeout_us: 2_000_000,
            read_retries: 3,
            send_retries: 3,
        }
    }
}

/// Transport errors, generic over the SPI bus error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportError<E> {
    /// The SPI bus failed.
    Spi(E),
    /// No answer within the timeout.
    Timeout,
    /// Responses kept failing their CRC or framing.
    Corrupt(FrameError),
    /// The device did not take the request (it stayed busy with another).
    NotAccepted,
    /// The payload does not fit a request.
    PayloadTooLong,
}

impl<E: fmt::Debug> fmt::Display for TransportError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Spi(e) => write!(
                f,
                "SPI bus error: {e:?}; check the wiring and the spidev device"
            ),
            TransportError::Timeout => {
                write!(
                    f,
                    "the SCU did not answer in time; check power and the SPI clock, then retry"
                )
            }
            TransportError::Corrupt(e) => {
                write!(f, "responses from the SCU are corrupted ({e:?}); lower the SPI clock or check the wiring")
            }
            TransportError::NotAccepted => {
                write!(f, "the SCU stayed busy with another request; retry later")
            }
            TransportError::PayloadTooLong => write!(f, "the request is too long for the SCU"),
        }
    }
}

/// A response: status and payload length (the payload is in the caller's
/// buffer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    /// Status code.
    pub status: u8,
    /// Payload bytes.
    pub len: usize,
}

/// The transport over one SPI device.
pub struct Transport<SPI, D> {
    spi: SPI,
    delay: D,
    timing: Timing,
    tag: u8,
}

impl<SPI: SpiDevice, D: DelayNs> Transport<SPI, D> {
    /// A transport with the default timing.
    pub fn new(spi: SPI, delay: D) -> Self {
        Transport {
            spi,
            delay,
            timing: Timing::default(),
            tag: 0,
        }
    }

    /// Changes the timing.
    pub fn with_timing(mut self, timing: Timing) -> Self {
        self.timing = timing;
        self
    }

    /// The SPI device and the delay back.
    pub fn release(self) -> (SPI, D) {
        (self.spi, self.delay)
    }

    /// The SPI device.
    pub fn spi_mut(&mut self) -> &mut SPI {
        &mut self.spi
    }

    /// The delay.
    pub fn delay_mut(&mut self) -> &mut D {
        &mut self.delay
    }

    fn next_tag(&mut self) -> u8 {
        // Tag 0 marks responses no request caused (reset, a bad op).
        self.tag = if self.tag == u8::MAX { 1 } else { self.tag + 1 };
        self.tag
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<(), TransportError<SPI::Error>> {
        buf.fill(0);
        buf[0] = protocol::OP_RESPONSE;
        self.spi.transfer_in_place(buf).map_err(TransportError::Spi)
    }

    /// Sends `command` with `payload`, waits for its response, copies the
    /// payload into `out`.
    pub fn call(
        &mut self,
        command: u8,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<Answer, TransportError<SPI::Error>> {
        let mut req = [0u8; REQUEST_BUF];
        for _ in 0..=self.timing.send_retries {
            let tag = self.next_tag();
            let n = protocol::encode_request(tag, command, payload, &mut req)
                .map_err(|_| TransportError::PayloadTooLong)?;
            self.spi.write(&req[..n]).map_err(TransportError::Spi)?;
            match self.await_response(tag, out)? {
                Some(a) => return Ok(a),
                None => continue,
            }
        }
        Err(TransportError::NotAccepted)
    }

    /// Polls until the response to `tag`; `None` when the device answers
    /// another request (it dropped ours).
    fn await_response(
        &mut self,
        tag: u8,
        out: &mut [u8],
    ) -> Result<Option<Answer>, TransportError<SPI::Error>> {
        let mut waited: u64 = 0;
        let mut wait = self.timing.first_poll_us.max(1);
        let mut bad_reads = 0u8;
        let mut buf = [0u8; RESPONSE_BUF];
        loop {
            self.delay.delay_us(wait);
            waited += wait as u64;
            self.read(&mut buf[..SHORT_READ])?;
            let len = ((buf[3] as usize) << 8) | buf[4] as usize;
            let st = buf[1];
            if st == status::BUSY
                && len == 0
                && protocol::decode_response(&buf[..SHORT_READ]).is_ok()
            {
                if waited >= self.timing.timeout_us {
                    return Err(TransportError::Timeout);
                }
                wait = (wait.saturating_mul(2)).min(self.timing.max_poll_us.max(1));
                continue;
            }
            let full = protocol::response_transaction_len(len.min(protocol::MAX_RESPONSE_PAYLOAD));
            if len > 0 {
                self.read(&mut buf[..full])?;
            }
            match protocol::decode_response(&buf[..full]) {
                Ok(r) if r.tag == tag => {
                    if r.payload.len() > out.len() {
                        return Err(TransportError::Corrupt(FrameError::BufferTooSmall));
                    }
                    out[..r.payload.len()].copy_from_slice(r.payload);
                    return Ok(Some(Answer {
                        status: r.status,
                        len: r.payload.len(),
                    }));
                }
                // Another request's response: the device dropped ours.
                Ok(_) => return Ok(None),
                Err(e) => {
                    bad_reads += 1;
                    if bad_reads > self.timing.read_retries {
                        return Err(TransportError::Corrupt(e));
                    }
                }
            }
        }
    }
}
