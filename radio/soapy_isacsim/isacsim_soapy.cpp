// The isactb channel emulator as a SoapySDR 0.8 device (driver key "isacsim").
//
// A thin C++17 shim: every call goes to the C emulator through isacsim_c.h (the `sim`
// radio). Device arguments other than driver/label/serial are the `sim` back end's
// scenario keys (seed, targets, impairments, ... docs/emulator.md), passed through.
// docs/frontends.md ("The isacsim SoapySDR device") is the user's description.
//
// Units: CF32 samples are those of the emulator (units of the reference noise, variance 1
// per RX sample at the rate the device was opened with and 0 dB RX gain) with full scale
// 1.0; CS16 and CS8 are CF32 times 32767 and 127, rounded and saturated. With every
// setting at its default (0 dB gains, the opened rate, no corrections) the samples are
// bit for bit the emulator's: `isactb run` on soapy:driver=isacsim and on sim decide alike.
//
// Time: the device clock is the emulator's sample counter. Hardware time in ns is
// ticksToTimeNs(tick, fs) + offset, where setHardwareTime() only moves the offset. Nothing
// happens in wall time. Streams:
//   RX: only the stream's channels are rendered; activateStream(HAS_TIME, t, numElems)
//       starts at tick(t) (else at the current tick); numElems > 0 is one finite window
//       rendered in a single emulator call, 0 streams continuously in MTU-sized windows.
//       readStream always sets HAS_TIME; an injected gap is reported as the standard
//       SoapySDR sequence: samples up to the gap, SOAPY_SDR_OVERFLOW (overflows only),
//       then samples with the post-gap timestamp.
//   TX: writeStream with HAS_TIME opens a burst at tick(t); chunks accumulate until
//       END_BURST, then the burst goes to the emulator whole (a burst longer than
//       kMaxBurst goes in kMaxBurst pieces). Untimed writes stream continuously: each
//       call goes to the emulator at once, right after the previous one (or at the
//       current tick when the stream fell behind: SOAPY_SDR_UNDERFLOW); with no RX
//       stream active the device clock follows the transmitter, with one it waits (up to
//       the call's timeout) while the transmitter is more than kMaxLead ahead, so memory
//       stays bounded. readStreamStatus reports END_BURST acknowledgements, late bursts
//       (SOAPY_SDR_TIME_ERROR), underflows and overlaps (SOAPY_SDR_STREAM_ERROR).
// Settings (isactb's own protocol, radio_soapy.c): isactb_layout (array layout JSON,
// read-only), isactb_truth (ground truth JSON, read-only), isactb_episode (write N:
// new episode N).
#include <SoapySDR/Device.hpp>
#include <SoapySDR/Formats.hpp>
#include <SoapySDR/Registry.hpp>
#include <SoapySDR/Time.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <complex>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/err.h"
#include "isacsim_c.h"

namespace
{

using cf = std::complex<float>;

constexpr size_t kMtu = 4096;
// A timed burst goes to the emulator whole up to this length (the largest CPI isactb
// uses), longer ones in pieces of it: memory stays bounded without END_BURST.
constexpr size_t kMaxBurst = size_t(1) << 20;
// Ticks an untimed transmitter may run ahead of the device clock while an RX stream
// drives it (13 ms at 20 MS/s; 16 TX channels of it are 32 MB in the emulator).
constexpr long long kMaxLead = 1 << 18;
constexpr size_t kMaxStatus = 256;               // readStreamStatus queue (oldest dropped)
constexpr long kMaxWaitUs = 1000000;             // the longest a call waits for something to happen
constexpr double kRateMin = 1e5, kRateMax = 1e9; // the `sim` back end's fs range
constexpr double kRxGainMin = -40, kRxGainMax = 40;
constexpr double kTxGainMin = -40, kTxGainMax = 20;
constexpr double kPpmMax = 100;
constexpr double kCs16Scale = 32767.0, kCs8Scale = 127.0;
const char *const kDriver = "isacsim";

// Keys of SoapySDR's own (enumeration) that are not emulator arguments.
bool soapy_key(const std::string &k)
{
    return k == "driver" || k == "label" || k == "serial";
}

// The scenario arguments without `fs` (the device sets the rate itself).
std::string sim_args_of(const SoapySDR::Kwargs &args)
{
    std::string s;
    for (const auto &kv : args) {
        if (soapy_key(kv.first) || kv.first == "fs")
            continue;
        s += (s.empty() ? "" : ",") + kv.first + "=" + kv.second;
    }
    return s;
}

std::string num(double v)
{
    char b[40];
    std::snprintf(b, sizeof b, "%.17g", v);
    return b;
}

std::string dir_name(int dir)
{
    return dir == SOAPY_SDR_RX ? "RX" : "TX";
}

enum class Fmt { CF32, CS16, CS8 };

bool parse_format(const std::string &f, Fmt &out)
{
    if (f == SOAPY_SDR_CF32)
        out = Fmt::CF32;
    else if (f == SOAPY_SDR_CS16)
        out = Fmt::CS16;
    else if (f == SOAPY_SDR_CS8)
        out = Fmt::CS8;
    else
        return false;
    return true;
}

// Round half away from zero after saturating: no libm call, so the loop vectorises.
template <typename T> void to_int(const cf *in, T *out, size_t n, double scale)
{
    const float lim = (float)scale, s = (float)scale;
    const float *v = reinterpret_cast<const float *>(in);
    for (size_t i = 0; i < 2 * n; i++) {
        float x = std::min(std::max(v[i] * s, -lim), lim);
        out[i] = (T)(int)(x + std::copysign(0.5f, x));
    }
}

template <typename T> void from_int(const T *in, cf *out, size_t n, double scale)
{
    const float s = (float)(1.0 / scale);
    float *v = reinterpret_cast<float *>(out);
    for (size_t i = 0; i < 2 * n; i++)
        v[i] = (float)in[i] * s;
}

// CF32 (the emulator's samples, full scale 1) to the stream's format; CS16/CS8 saturate.
void convert_out(Fmt f, const cf *in, void *out, size_t n)
{
    if (f == Fmt::CF32)
        std::memcpy(out, in, n * sizeof(cf));
    else if (f == Fmt::CS16)
        to_int(in, static_cast<int16_t *>(out), n, kCs16Scale);
    else
        to_int(in, static_cast<int8_t *>(out), n, kCs8Scale);
}

void convert_in(Fmt f, const void *in, cf *out, size_t n)
{
    if (f == Fmt::CF32)
        std::memcpy(out, in, n * sizeof(cf));
    else if (f == Fmt::CS16)
        from_int(static_cast<const int16_t *>(in), out, n, kCs16Scale);
    else
        from_int(static_cast<const int8_t *>(in), out, n, kCs8Scale);
}

struct Status {
    int code;
    int flags;
    long long time_ns;
};

// One channel's front end as set by the client. Timed gain changes (setCommandTime) wait
// in `sched` (tick, dB), sorted; the gain at tick t is the last entry at or before t.
struct Chain {
    double gain_db = 0;
    std::vector<std::pair<long long, double>> sched;
    bool dc_auto = true;
    std::complex<double> dc{0, 0}, iq{0, 0};

    double gain_at(long long t) const
    {
        double g = gain_db;
        for (const auto &e : sched)
            if (e.first <= t)
                g = e.second;
        return g;
    }
    double latest() const { return sched.empty() ? gain_db : sched.back().second; }
};

struct Stream {
    int dir;
    Fmt fmt;
    std::vector<size_t> chans;
    bool active = false;
    // RX
    bool finite = false;
    long long next_tick = 0;  // first tick of the next window (continuous mode)
    bool have_window = false; // window rendered
    long long win_t0 = 0;
    size_t win_len = 0, pos = 0;
    size_t gap_start = 0, gap_len = 0;
    bool gap_overflow = false, overflow_reported = false;
    std::vector<std::vector<cf>> win; // by stream channel
    // TX
    bool in_burst = false;  // a timed burst is open (HAS_TIME seen, no END_BURST yet)
    bool streaming = false; // untimed writes continue at next_tx
    long long burst_t0 = 0, next_tx = 0;
    std::vector<std::vector<cf>> burst; // by stream channel
    std::deque<Status> status;
};

class IsacsimDevice : public SoapySDR::Device
{
  public:
    explicit IsacsimDevice(const SoapySDR::Kwargs &args) : base_args_(sim_args_of(args))
    {
        char err[512] = "";
        auto fs = args.find("fs");
        std::string sa = base_args_;
        if (fs != args.end())
            sa += (sa.empty() ? "" : ",") + std::string("fs=") + fs->second;
        if (isacsim_open(sa.c_str(), &sim_, err, sizeof err) != ISAC_OK)
            throw std::runtime_error(std::string("isacsim: ") + err);
        isacsim_describe(sim_, &desc_);
        fs_ref_ = desc_.fs;
        chain_[SOAPY_SDR_RX].resize(desc_.num_rx);
        chain_[SOAPY_SDR_TX].resize(desc_.num_tx);
    }
    ~IsacsimDevice() override { isacsim_close(sim_); }

    // ---- identification ----
    std::string getDriverKey() const override { return kDriver; }
    std::string getHardwareKey() const override { return kDriver; }
    SoapySDR::Kwargs getHardwareInfo() const override
    {
        return {{"serial", desc_.serial}, {"origin", "isactb sim channel emulator"}};
    }

    // ---- channels and streams ----
    size_t getNumChannels(const int dir) const override
    {
        return dir == SOAPY_SDR_RX ? desc_.num_rx : dir == SOAPY_SDR_TX ? desc_.num_tx : 0;
    }
    bool getFullDuplex(const int, const size_t) const override { return true; }
    std::vector<std::string> getStreamFormats(const int, const size_t) const override
    {
        return {SOAPY_SDR_CF32, SOAPY_SDR_CS16, SOAPY_SDR_CS8};
    }
    std::string getNativeStreamFormat(const int, const size_t, double &fullScale) const override
    {
        fullScale = 1.0;
        return SOAPY_SDR_CF32;
    }

    SoapySDR::Stream *setupStream(const int dir, const std::string &format,
                                  const std::vector<size_t> &channels,
                                  const SoapySDR::Kwargs &) override
    {
        std::lock_guard<std::mutex> lk(mu_);
        Fmt f;
        if (dir != SOAPY_SDR_RX && dir != SOAPY_SDR_TX)
            throw std::runtime_error("isacsim: direction " + std::to_string(dir) +
                                     " is neither RX nor TX");
        if (!parse_format(format, f))
            throw std::runtime_error("isacsim: stream format '" + format +
                                     "' is not supported (CF32, CS16, CS8)");
        std::vector<size_t> ch = channels.empty() ? std::vector<size_t>{0} : channels;
        for (size_t c : ch)
            check_chan(dir, c);
        auto *st = new Stream;
        st->dir = dir;
        st->fmt = f;
        st->chans = ch;
        streams_.push_back(st);
        return reinterpret_cast<SoapySDR::Stream *>(st);
    }
    void closeStream(SoapySDR::Stream *s) override
    {
        std::lock_guard<std::mutex> lk(mu_);
        Stream *st = reinterpret_cast<Stream *>(s);
        set_active(st, false);
        streams_.erase(std::remove(streams_.begin(), streams_.end(), st), streams_.end());
        delete st;
    }
    size_t getStreamMTU(SoapySDR::Stream *) const override { return kMtu; }

    int activateStream(SoapySDR::Stream *handle, const int flags, const long long timeNs,
                       const size_t numElems) override
    {
        std::lock_guard<std::mutex> lk(mu_);
        Stream *st = reinterpret_cast<Stream *>(handle);
        if (st->dir == SOAPY_SDR_TX) {
            set_active(st, true);
            return 0;
        }
        st->finite = numElems > 0;
        st->next_tick = (flags & SOAPY_SDR_HAS_TIME) ? to_ticks(timeNs) : isacsim_now(sim_);
        st->have_window = false;
        st->win_len = numElems;
        set_active(st, true);
        cv_.notify_all();
        return 0;
    }
    int deactivateStream(SoapySDR::Stream *handle, const int, const long long) override
    {
        std::lock_guard<std::mutex> lk(mu_);
        Stream *st = reinterpret_cast<Stream *>(handle);
        set_active(st, false);
        st->have_window = false;
        st->streaming = false;
        cv_.notify_all();
        return 0;
    }

    int readStream(SoapySDR::Stream *handle, void *const *buffs, const size_t numElems, int &flags,
                   long long &timeNs, const long timeoutUs) override
    {
        std::unique_lock<std::mutex> lk(mu_);
        Stream *st = reinterpret_cast<Stream *>(handle);
        flags = 0;
        if (st->dir != SOAPY_SDR_RX)
            return SOAPY_SDR_NOT_SUPPORTED;
        // Inactive (not yet, or a finite window was read): nothing arrives; wait out the
        // timeout as a device would, unless another thread activates the stream.
        if (!st->active && !cv_.wait_for(lk, wait_of(timeoutUs), [st] { return st->active; }))
            return SOAPY_SDR_TIMEOUT;
        if (numElems == 0)
            return 0;
        if (!st->have_window) {
            size_t len = st->finite ? st->win_len : std::min(numElems, kMtu);
            // Full duplex without a wall clock: a continuous window waits (up to the
            // timeout) for a continuous transmitter to have written its ticks, so the
            // two run in step as they would on hardware; after the timeout it is
            // rendered anyway and the transmitter underflows.
            long long need = st->next_tick + (long long)len;
            if (!st->finite)
                cv_.wait_for(lk, wait_of(timeoutUs), [&] { return !tx_behind(need); });
            int rc = render(st, len);
            if (rc)
                return rc;
        }
        if (st->gap_len && st->pos == st->gap_start) {
            if (st->gap_overflow && !st->overflow_reported) {
                st->overflow_reported = true;
                return SOAPY_SDR_OVERFLOW;
            }
            st->pos += st->gap_len;
        }
        size_t end = st->gap_len && st->pos < st->gap_start ? st->gap_start : st->win_len;
        size_t n = std::min(numElems, end - st->pos);
        for (size_t i = 0; i < st->chans.size(); i++)
            convert_out(st->fmt, st->win[i].data() + st->pos, buffs[i], n);
        flags = SOAPY_SDR_HAS_TIME;
        timeNs = to_ns(st->win_t0 + (long long)st->pos);
        st->pos += n;
        if (st->pos == st->win_len) {
            st->have_window = false;
            if (st->finite) {
                flags |= SOAPY_SDR_END_BURST;
                set_active(st, false);
            }
        }
        return (int)n;
    }

    int writeStream(SoapySDR::Stream *handle, const void *const *buffs, const size_t numElems,
                    int &flags, const long long timeNs, const long timeoutUs) override
    {
        std::unique_lock<std::mutex> lk(mu_);
        Stream *st = reinterpret_cast<Stream *>(handle);
        if (st->dir != SOAPY_SDR_TX)
            return SOAPY_SDR_NOT_SUPPORTED;
        const bool timed = flags & SOAPY_SDR_HAS_TIME, end = flags & SOAPY_SDR_END_BURST;
        flags = 0;
        if (timed) {
            if (st->in_burst && !st->burst[0].empty())
                flush_burst(st); // a new time without END_BURST: the open burst ends here
            st->in_burst = true;
            st->streaming = false;
            st->burst_t0 = to_ticks(timeNs);
            st->burst.assign(st->chans.size(), {});
        }
        if (st->in_burst)
            return write_timed(st, buffs, numElems, end);
        return write_untimed(st, lk, buffs, numElems, end, timeoutUs);
    }

    int readStreamStatus(SoapySDR::Stream *handle, size_t &chanMask, int &flags, long long &timeNs,
                         const long timeoutUs) override
    {
        std::unique_lock<std::mutex> lk(mu_);
        Stream *st = reinterpret_cast<Stream *>(handle);
        if (st->dir != SOAPY_SDR_TX)
            return SOAPY_SDR_NOT_SUPPORTED;
        if (st->status.empty() &&
            !cv_.wait_for(lk, wait_of(timeoutUs), [st] { return !st->status.empty(); }))
            return SOAPY_SDR_TIMEOUT;
        Status s = st->status.front();
        st->status.pop_front();
        chanMask = 0;
        for (size_t i = 0; i < st->chans.size() && i < 8 * sizeof chanMask; i++)
            chanMask |= size_t(1) << i;
        flags = s.flags;
        timeNs = s.time_ns;
        return s.code;
    }

    // ---- antennas: one port per channel and direction ----
    std::vector<std::string> listAntennas(const int dir, const size_t) const override
    {
        return {dir_name(dir)};
    }
    void setAntenna(const int dir, const size_t ch, const std::string &name) override
    {
        check_chan(dir, ch);
        if (name != dir_name(dir))
            throw std::runtime_error("isacsim: " + dir_name(dir) + " antenna '" + name +
                                     "' does not exist (the only one is " + dir_name(dir) + ")");
    }
    std::string getAntenna(const int dir, const size_t) const override { return dir_name(dir); }

    // ---- corrections (the emulated front end has no DC offset, IQ imbalance or LO
    // error: a correction of 0 is the identity, any other value is applied as set) ----
    bool hasDCOffsetMode(const int, const size_t) const override { return true; }
    void setDCOffsetMode(const int dir, const size_t ch, const bool automatic) override
    {
        std::lock_guard<std::mutex> lk(mu_);
        chain(dir, ch).dc_auto = automatic;
    }
    bool getDCOffsetMode(const int dir, const size_t ch) const override
    {
        std::lock_guard<std::mutex> lk(mu_);
        return chain(dir, ch).dc_auto;
    }
    bool hasDCOffset(const int, const size_t) const override { return true; }
    void setDCOffset(const int dir, const size_t ch, const std::complex<double> &v) override
    {
        std::lock_guard<std::mutex> lk(mu_);
        check_finite(v, "DC offset");
        chain(dir, ch).dc = v;
    }
    std::complex<double> getDCOffset(const int dir, const size_t ch) const override
    {
        std::lock_guard<std::mutex> lk(mu_);
        return chain(dir, ch).dc;
    }
    bool hasIQBalance(const int, const size_t) const override { return true; }
    void setIQBalance(const int dir, const size_t ch, const std::complex<double> &v) override
    {
        std::lock_guard<std::mutex> lk(mu_);
        check_finite(v, "IQ balance");
        if (std::abs(v) >= 1.0)
            throw std::runtime_error("isacsim: IQ balance magnitude " + num(std::abs(v)) +
                                     " is not below 1");
        chain(dir, ch).iq = v;
    }
    std::complex<double> getIQBalance(const int dir, const size_t ch) const override
    {
        std::lock_guard<std::mutex> lk(mu_);
        return chain(dir, ch).iq;
    }
    bool hasFrequencyCorrection(const int, const size_t) const override { return true; }
    void setFrequencyCorrection(const int dir, const size_t ch, const double ppm) override
    {
        std::lock_guard<std::mutex> lk(mu_);
        check_chan(dir, ch);
        if (!(std::fabs(ppm) <= kPpmMax))
            throw std::runtime_error("isacsim: frequency correction " + num(ppm) +
                                     " ppm outside -100..100 ppm");
        ppm_[dir] = ppm; // one LO per direction: every channel
    }
    double getFrequencyCorrection(const int dir, const size_t ch) const override
    {
        check_chan(dir, ch);
        return ppm_[dir];
    }

    // ---- gains: one element per direction (RX "LNA", TX "PA") ----
    std::vector<std::string> listGains(const int dir, const size_t) const override
    {
        return {gain_name(dir)};
    }
    bool hasGainMode(const int, const size_t) const override { return false; }
    void setGainMode(const int dir, const size_t ch, const bool automatic) override
    {
        check_chan(dir, ch);
        if (automatic)
            throw std::runtime_error("isacsim: no automatic gain control");
    }
    bool getGainMode(const int, const size_t) const override { return false; }
    void setGain(const int dir, const size_t ch, const double value) override
    {
        std::lock_guard<std::mutex> lk(mu_);
        SoapySDR::Range r = gain_range(dir);
        if (!(value >= r.minimum() && value <= r.maximum()))
            throw std::runtime_error("isacsim: " + dir_name(dir) + " gain " + num(value) +
                                     " dB outside " + num(r.minimum()) + ".." + num(r.maximum()) +
                                     " dB (getGainRange)");
        Chain &c = chain(dir, ch);
        if (cmd_set_) { // timed: from tick cmd_tick_ on
            auto it = std::find_if(c.sched.begin(), c.sched.end(),
                                   [this](const auto &e) { return e.first > cmd_tick_; });
            c.sched.insert(it, {cmd_tick_, value});
            return;
        }
        long long now = isacsim_now(sim_);
        c.sched.erase(std::remove_if(c.sched.begin(), c.sched.end(),
                                     [now](const auto &e) { return e.first <= now; }),
                      c.sched.end());
        c.gain_db = value;
    }
    void setGain(const int dir, const size_t ch, const std::string &name,
                 const double value) override
    {
        check_gain_name(dir, name);
        setGain(dir, ch, value);
    }
    double getGain(const int dir, const size_t ch) const override
    {
        std::lock_guard<std::mutex> lk(mu_);
        return chain(dir, ch).latest();
    }
    double getGain(const int dir, const size_t ch, const std::string &name) const override
    {
        check_gain_name(dir, name);
        return getGain(dir, ch);
    }
    SoapySDR::Range getGainRange(const int dir, const size_t ch) const override
    {
        check_chan(dir, ch);
        return gain_range(dir);
    }
    SoapySDR::Range getGainRange(const int dir, const size_t ch,
                                 const std::string &name) const override
    {
        check_gain_name(dir, name);
        return getGainRange(dir, ch);
    }

    // ---- frequency: one IF carrier for every channel ----
    void setFrequency(const int dir, const size_t ch, const double freq,
                      const SoapySDR::Kwargs &) override
    {
        std::lock_guard<std::mutex> lk(mu_);
        check_chan(dir, ch);
        if (!(freq >= desc_.freq_min && freq <= desc_.freq_max))
            throw std::runtime_error("isacsim: frequency " + num(freq) + " Hz outside " +
                                     num(desc_.freq_min) + ".." + num(desc_.freq_max) + " Hz");
        if (cmd_set_) { // timed: before the first window or burst at or after cmd_tick_
            pending_freq_ = freq;
            pending_tick_ = cmd_tick_;
            have_pending_ = true;
            return;
        }
        have_pending_ = false;
        retune(freq);
    }
    void setFrequency(const int dir, const size_t ch, const std::string &name, const double freq,
                      const SoapySDR::Kwargs &args) override
    {
        if (name != "RF")
            throw std::runtime_error("isacsim: frequency element '" + name +
                                     "' does not exist (the only one is RF)");
        setFrequency(dir, ch, freq, args);
    }
    double getFrequency(const int, const size_t) const override
    {
        std::lock_guard<std::mutex> lk(mu_);
        return have_pending_ ? pending_freq_ : desc_.center_freq;
    }
    double getFrequency(const int dir, const size_t ch, const std::string &) const override
    {
        return getFrequency(dir, ch);
    }
    std::vector<std::string> listFrequencies(const int, const size_t) const override
    {
        return {"RF"};
    }
    SoapySDR::RangeList getFrequencyRange(const int, const size_t) const override
    {
        return {SoapySDR::Range(desc_.freq_min, desc_.freq_max)};
    }
    SoapySDR::RangeList getFrequencyRange(const int, const size_t,
                                          const std::string &) const override
    {
        return {SoapySDR::Range(desc_.freq_min, desc_.freq_max)};
    }

    // ---- sample rate: any rate in 1e5..1e9 Hz (the emulator is re-created at it) ----
    void setSampleRate(const int dir, const size_t ch, const double rate) override
    {
        std::lock_guard<std::mutex> lk(mu_);
        check_chan(dir, ch);
        if (!(rate >= kRateMin && rate <= kRateMax))
            throw std::runtime_error("isacsim: sample rate " + num(rate) + " Hz outside " +
                                     num(kRateMin) + ".." + num(kRateMax) +
                                     " Hz (getSampleRateRange)");
        if (std::fabs(rate - desc_.fs) <= 1e-9 * desc_.fs)
            return;
        for (const Stream *st : streams_)
            if (st->active)
                throw std::runtime_error("isacsim: the sample rate cannot change while a stream "
                                         "is active (deactivateStream first)");
        reopen(rate);
    }
    double getSampleRate(const int, const size_t) const override { return desc_.fs; }
    std::vector<double> listSampleRates(const int, const size_t) const override
    {
        std::vector<double> l = {1e5, 2.5e5, 5e5, 1e6, 2e6, 5e6, 10e6, 20e6, 40e6, 50e6, 100e6};
        if (std::find(l.begin(), l.end(), fs_ref_) == l.end())
            l.push_back(fs_ref_);
        std::sort(l.begin(), l.end());
        return l;
    }
    SoapySDR::RangeList getSampleRateRange(const int, const size_t) const override
    {
        return {SoapySDR::Range(kRateMin, kRateMax)};
    }
    void setBandwidth(const int, const size_t, const double bw) override
    {
        if (bw != 0.0 && std::fabs(bw - desc_.fs) > 1e-9 * desc_.fs)
            throw std::runtime_error("isacsim: bandwidth " + num(bw) +
                                     " Hz: it equals the sample rate (" + num(desc_.fs) +
                                     " Hz); 0 means that too");
    }
    double getBandwidth(const int, const size_t) const override { return desc_.fs; }
    SoapySDR::RangeList getBandwidthRange(const int, const size_t) const override
    {
        return {SoapySDR::Range(desc_.fs, desc_.fs)};
    }

    // ---- clocking and time ----
    std::vector<std::string> listClockSources() const override { return {"internal"}; }
    void setClockSource(const std::string &s) override { only_internal(s); }
    std::string getClockSource() const override { return "internal"; }
    std::vector<std::string> listTimeSources() const override { return {"internal"}; }
    void setTimeSource(const std::string &s) override { only_internal(s); }
    std::string getTimeSource() const override { return "internal"; }
    bool hasHardwareTime(const std::string &what) const override
    {
        return what.empty() || what == "PPS" || what == "UNKNOWN_PPS" || what == "CMD";
    }
    long long getHardwareTime(const std::string &) const override
    {
        std::lock_guard<std::mutex> lk(mu_);
        return to_ns(isacsim_now(sim_));
    }
    void setHardwareTime(const long long timeNs, const std::string &what) override
    {
        if (what == "CMD") { // SoapyUHD's convention for the command time
            setCommandTime(timeNs, "");
            return;
        }
        std::lock_guard<std::mutex> lk(mu_);
        if (!hasHardwareTime(what))
            throw std::runtime_error("isacsim: hardware time '" + what +
                                     "' does not exist (\"\", PPS, UNKNOWN_PPS, CMD)");
        // "" (now), "PPS", "UNKNOWN_PPS": the emulator has no PPS, the time is set now.
        offset_ns_ = timeNs - SoapySDR::ticksToTimeNs(isacsim_now(sim_), desc_.fs);
    }
    // Later setGain/setFrequency calls take effect at timeNs (0: at once again).
    void setCommandTime(const long long timeNs, const std::string &) override
    {
        std::lock_guard<std::mutex> lk(mu_);
        cmd_set_ = timeNs != 0;
        cmd_tick_ = to_ticks(timeNs);
    }

    // ---- sensors and settings ----
    std::vector<std::string> listSensors() const override { return {"sample_tick"}; }
    SoapySDR::ArgInfo getSensorInfo(const std::string &key) const override
    {
        SoapySDR::ArgInfo a;
        a.key = key;
        a.name = "Sample tick";
        a.description = "The emulator's clock: samples since its time origin";
        a.type = SoapySDR::ArgInfo::INT;
        return a;
    }
    std::string readSensor(const std::string &key) const override
    {
        std::lock_guard<std::mutex> lk(mu_);
        if (key != "sample_tick")
            throw std::runtime_error("isacsim: unknown sensor " + key);
        return std::to_string(isacsim_now(sim_));
    }

    SoapySDR::ArgInfoList getSettingInfo() const override
    {
        SoapySDR::ArgInfoList l(3);
        l[0].key = "isactb_layout";
        l[0].type = SoapySDR::ArgInfo::STRING;
        l[0].description = "Array layout and link budget (JSON, read only)";
        l[1].key = "isactb_truth";
        l[1].type = SoapySDR::ArgInfo::STRING;
        l[1].description = "Ground truth of the emulator (JSON, read only)";
        l[2].key = "isactb_episode";
        l[2].type = SoapySDR::ArgInfo::INT;
        l[2].value = "0";
        l[2].description = "Write N: draw the scene of episode N";
        return l;
    }
    void writeSetting(const std::string &key, const std::string &value) override
    {
        std::lock_guard<std::mutex> lk(mu_);
        if (key != "isactb_episode")
            throw std::runtime_error("isacsim: setting " + key + " is not writable");
        char *end = nullptr;
        unsigned long long ep = std::strtoull(value.c_str(), &end, 10);
        if (value.empty() || *end || isacsim_new_episode(sim_, ep) != ISAC_OK)
            throw std::runtime_error("isacsim: isactb_episode=" + value + ": " +
                                     isacsim_last_error(sim_));
        episode_ = ep;
    }
    std::string readSetting(const std::string &key) const override
    {
        std::lock_guard<std::mutex> lk(mu_);
        if (key == "isactb_episode")
            return std::to_string(episode_);
        // The layout's noise_var and TX power are those of channel 0 as set.
        double noise_scale =
            desc_.fs / fs_ref_ * std::pow(10.0, chain_[SOAPY_SDR_RX][0].latest() / 10.0);
        char *txt = key == "isactb_layout"
                        ? isacsim_layout_json(
                              sim_, noise_scale,
                              chain_[SOAPY_SDR_TX].empty() ? 0.0 : chain_[SOAPY_SDR_TX][0].latest())
                    : key == "isactb_truth" ? isacsim_truth_json(sim_)
                                            : nullptr;
        if (!txt)
            throw std::runtime_error("isacsim: cannot read setting " + key);
        std::string s(txt);
        std::free(txt);
        return s;
    }

  private:
    long long to_ns(long long tick) const
    {
        return SoapySDR::ticksToTimeNs(tick, desc_.fs) + offset_ns_;
    }
    long long to_ticks(long long ns) const
    {
        return SoapySDR::timeNsToTicks(ns - offset_ns_, desc_.fs);
    }
    static std::chrono::microseconds wait_of(long timeoutUs)
    {
        return std::chrono::microseconds(std::clamp(timeoutUs, 0L, kMaxWaitUs));
    }
    static void only_internal(const std::string &s)
    {
        if (s != "internal")
            throw std::runtime_error("isacsim: clock/time source '" + s +
                                     "' does not exist (the only one is internal)");
    }
    void check_chan(int dir, size_t ch) const
    {
        if (dir != SOAPY_SDR_RX && dir != SOAPY_SDR_TX)
            throw std::runtime_error("isacsim: direction " + std::to_string(dir) +
                                     " is neither RX nor TX");
        if (ch >= getNumChannels(dir))
            throw std::runtime_error("isacsim: " + dir_name(dir) + " channel " +
                                     std::to_string(ch) + " does not exist (" +
                                     std::to_string(getNumChannels(dir)) + " channels)");
    }
    Chain &chain(int dir, size_t ch)
    {
        check_chan(dir, ch);
        return chain_[dir][ch];
    }
    const Chain &chain(int dir, size_t ch) const
    {
        check_chan(dir, ch);
        return chain_[dir][ch];
    }
    static void check_finite(const std::complex<double> &v, const char *what)
    {
        if (!std::isfinite(v.real()) || !std::isfinite(v.imag()))
            throw std::runtime_error(std::string("isacsim: ") + what + " is not finite");
    }
    static std::string gain_name(int dir) { return dir == SOAPY_SDR_RX ? "LNA" : "PA"; }
    static SoapySDR::Range gain_range(int dir)
    {
        return dir == SOAPY_SDR_RX ? SoapySDR::Range(kRxGainMin, kRxGainMax)
                                   : SoapySDR::Range(kTxGainMin, kTxGainMax);
    }
    void check_gain_name(int dir, const std::string &name) const
    {
        if (name != gain_name(dir))
            throw std::runtime_error("isacsim: " + dir_name(dir) + " gain element '" + name +
                                     "' does not exist (the only one is " + gain_name(dir) + ")");
    }
    // A continuous (untimed) transmitter has not yet written the ticks before `tick`.
    bool tx_behind(long long tick) const
    {
        for (const Stream *t : streams_)
            if (t->dir == SOAPY_SDR_TX && t->active && t->streaming && t->next_tx < tick)
                return true;
        return false;
    }
    void set_active(Stream *st, bool on)
    {
        if (st->dir == SOAPY_SDR_RX && st->active != on)
            rx_active_ += on ? 1 : -1;
        st->active = on;
    }
    void retune(double freq)
    {
        // One LO setting for the whole emulator: a repeated value is not a retune
        // (a retune re-draws the LO phases unless lo_shared=1).
        if (freq == desc_.center_freq)
            return;
        if (isacsim_retune(sim_, freq) != ISAC_OK)
            throw std::runtime_error(std::string("isacsim: ") + isacsim_last_error(sim_));
        isacsim_describe(sim_, &desc_);
    }
    // A timed retune takes effect before the first window or burst at or after its tick
    // (the emulator's LO phase belongs to a whole capture).
    void run_pending(long long t0)
    {
        if (have_pending_ && t0 >= pending_tick_) {
            have_pending_ = false;
            retune(pending_freq_);
        }
    }
    // The emulator at another rate: same scenario, episode and carrier; the hardware
    // time continues; the samples keep their unit (sqrt(fs / fs_ref) in the front end).
    void reopen(double rate)
    {
        long long hw = to_ns(isacsim_now(sim_));
        std::string sa = base_args_ + (base_args_.empty() ? "" : ",") + "fs=" + num(rate);
        isacsim *n = nullptr;
        char err[512] = "";
        if (isacsim_open(sa.c_str(), &n, err, sizeof err) != ISAC_OK)
            throw std::runtime_error("isacsim: sample rate " + num(rate) + " Hz: " + err);
        double fc = desc_.center_freq;
        if ((episode_ && isacsim_new_episode(n, episode_) != ISAC_OK) ||
            (isacsim_describe(n, &desc_), fc != desc_.center_freq && isacsim_retune(n, fc))) {
            std::string why = isacsim_last_error(n);
            isacsim_close(n);
            isacsim_describe(sim_, &desc_);
            throw std::runtime_error("isacsim: sample rate " + num(rate) + " Hz: " + why);
        }
        isacsim_close(sim_);
        sim_ = n;
        isacsim_describe(sim_, &desc_);
        offset_ns_ = 0;
        offset_ns_ = hw - to_ns(isacsim_now(sim_));
        for (auto &dirc : chain_) // pending timed gains were in ticks of the old rate
            for (Chain &c : dirc)
                c.sched.clear();
        have_pending_ = false;
        for (Stream *st : streams_) {
            st->in_burst = st->streaming = false;
            st->status.clear();
        }
    }

    // The client's front-end settings on one RX channel's samples y (ticks t0...):
    // LO correction, gain (timed changes sample-exactly) times sqrt(fs / fs_ref), IQ
    // balance and DC correction. All at their defaults: nothing is touched.
    void front_end_rx(size_t ch, cf *y, size_t n, long long t0) const
    {
        const Chain &c = chain_[SOAPY_SDR_RX][ch];
        double rate_scale = std::sqrt(desc_.fs / fs_ref_);
        rotate(y, n, t0, -ppm_[SOAPY_SDR_RX]);
        scale_by_gain(c, y, n, t0, rate_scale);
        if (c.iq != std::complex<double>(0, 0)) {
            cf b((float)c.iq.real(), (float)c.iq.imag());
            for (size_t i = 0; i < n; i++)
                y[i] += b * std::conj(y[i]);
        }
        if (c.dc != std::complex<double>(0, 0)) {
            cf d((float)c.dc.real(), (float)c.dc.imag());
            for (size_t i = 0; i < n; i++)
                y[i] -= d;
        }
    }
    // TX: gain, IQ balance, DC offset added, then the LO correction.
    void front_end_tx(size_t ch, cf *x, size_t n, long long t0) const
    {
        const Chain &c = chain_[SOAPY_SDR_TX][ch];
        scale_by_gain(c, x, n, t0, 1.0);
        if (c.iq != std::complex<double>(0, 0)) {
            cf b((float)c.iq.real(), (float)c.iq.imag());
            for (size_t i = 0; i < n; i++)
                x[i] += b * std::conj(x[i]);
        }
        if (c.dc != std::complex<double>(0, 0)) {
            cf d((float)c.dc.real(), (float)c.dc.imag());
            for (size_t i = 0; i < n; i++)
                x[i] += d;
        }
        rotate(x, n, t0, ppm_[SOAPY_SDR_TX]);
    }
    void scale_by_gain(const Chain &c, cf *y, size_t n, long long t0, double extra) const
    {
        size_t i = 0;
        while (i < n) {
            long long t = t0 + (long long)i;
            double g = c.gain_at(t);
            size_t j = n; // the segment ends at the next scheduled change
            for (const auto &e : c.sched)
                if (e.first > t && e.first < t0 + (long long)n) {
                    j = (size_t)(e.first - t0);
                    break;
                }
            double a = extra * std::pow(10.0, g / 20.0);
            if (a != 1.0) {
                float af = (float)a;
                for (size_t k = i; k < j; k++)
                    y[k] *= af;
            }
            i = j;
        }
    }
    // A frequency correction of ppm detunes the emulated LO by ppm 1e-6 f_c: samples
    // turn by exp(j 2 pi sign df tick / fs) (phase from the absolute tick).
    void rotate(cf *y, size_t n, long long t0, double ppm) const
    {
        if (ppm == 0.0)
            return;
        double w = 2 * M_PI * ppm * 1e-6 * desc_.center_freq / desc_.fs;
        for (size_t i = 0; i < n; i++) {
            double ph = std::fmod(w * (double)(t0 + (long long)i), 2 * M_PI);
            y[i] *= cf((float)std::cos(ph), (float)std::sin(ph));
        }
    }

    // Render the next window of len samples in one call, only of the stream's channels
    // (the emulator skips the others entirely; the rows are those of a full render).
    int render(Stream *st, size_t len)
    {
        run_pending(st->next_tick);
        st->win.resize(st->chans.size());
        std::vector<float *> y(desc_.num_rx, nullptr);
        for (size_t i = 0; i < st->chans.size(); i++) {
            st->win[i].resize(len);
            y[st->chans[i]] = reinterpret_cast<float *>(st->win[i].data());
        }
        isacsim_rx_md md{};
        st->win_t0 = st->next_tick;
        int rc = isacsim_rx(sim_, st->win_t0, y.data(), len, &md);
        st->next_tick += (long long)len;
        cv_.notify_all(); // the clock moved: a waiting transmitter may go on
        if (rc == ISAC_ERADIO) {
            set_active(st, !st->finite);
            return SOAPY_SDR_TIME_ERROR;
        }
        if (rc == ISAC_ETIMEOUT)
            return SOAPY_SDR_TIMEOUT;
        if (rc != ISAC_OK)
            return SOAPY_SDR_STREAM_ERROR;
        for (size_t i = 0; i < st->chans.size(); i++)
            front_end_rx(st->chans[i], st->win[i].data(), len, st->win_t0);
        st->have_window = true;
        st->win_len = len;
        st->pos = 0;
        st->gap_len = md.dropped_samples;
        st->gap_start = md.dropped_samples ? (size_t)(md.drop_start_tick - st->win_t0) : 0;
        st->gap_overflow = md.overflow != 0;
        st->overflow_reported = false;
        return 0;
    }

    void push_status(Stream *st, int code, int flags, long long tick)
    {
        if (st->status.size() >= kMaxStatus)
            st->status.pop_front();
        st->status.push_back({code, flags | SOAPY_SDR_HAS_TIME, to_ns(tick)});
        cv_.notify_all();
    }

    // Send len samples per stream channel (x[i], modified in place by the front end) to
    // the emulator at tick t0; the other TX channels send zeros. ISAC_* code.
    int send(Stream *st, long long t0, std::vector<cf> *x, size_t len)
    {
        run_pending(t0);
        if (zeros_.size() < len)
            zeros_.assign(len, cf(0, 0));
        std::vector<const float *> p(desc_.num_tx, reinterpret_cast<const float *>(zeros_.data()));
        for (size_t i = 0; i < st->chans.size(); i++) {
            front_end_tx(st->chans[i], x[i].data(), len, t0);
            p[st->chans[i]] = reinterpret_cast<const float *>(x[i].data());
        }
        return isacsim_tx(sim_, t0, p.data(), len);
    }

    // The open timed burst goes to the emulator (whole, or the piece so far).
    int flush_burst(Stream *st)
    {
        size_t len = st->burst[0].size();
        int rc = send(st, st->burst_t0, st->burst.data(), len);
        if (rc == ISAC_ERADIO)
            push_status(st, SOAPY_SDR_TIME_ERROR, 0, st->burst_t0);
        else if (rc != ISAC_OK)
            push_status(st, SOAPY_SDR_STREAM_ERROR, 0, st->burst_t0);
        st->burst_t0 += (long long)len;
        for (auto &b : st->burst)
            b.clear();
        return rc;
    }

    int write_timed(Stream *st, const void *const *buffs, size_t n, bool end)
    {
        for (size_t i = 0; i < st->chans.size(); i++) {
            auto &b = st->burst[i];
            b.resize(b.size() + n);
            convert_in(st->fmt, buffs[i], b.data() + b.size() - n, n);
        }
        if (!end && st->burst[0].size() < kMaxBurst)
            return (int)n;
        long long t0 = st->burst_t0;
        int rc = flush_burst(st);
        if (end) {
            st->in_burst = false;
            if (rc == ISAC_OK)
                push_status(st, 0, SOAPY_SDR_END_BURST, t0);
        }
        if (rc == ISAC_ETIMEOUT)
            return SOAPY_SDR_TIMEOUT;
        if (rc != ISAC_OK && rc != ISAC_ERADIO)
            return SOAPY_SDR_STREAM_ERROR;
        return (int)n;
    }

    int write_untimed(Stream *st, std::unique_lock<std::mutex> &lk, const void *const *buffs,
                      size_t n, bool end, long timeoutUs)
    {
        long long now = isacsim_now(sim_);
        long long t = st->streaming ? st->next_tx : now;
        if (t < now) { // the receiver (the clock) ran past the transmitter
            push_status(st, SOAPY_SDR_UNDERFLOW, 0, now);
            t = now;
        }
        // Backpressure: a transmitter far ahead of an active receiver waits for it.
        if (rx_active_ > 0 && t - now > kMaxLead && !cv_.wait_for(lk, wait_of(timeoutUs), [&] {
                return rx_active_ == 0 || t - isacsim_now(sim_) <= kMaxLead;
            }))
            return SOAPY_SDR_TIMEOUT;
        t = std::max(t, (long long)isacsim_now(sim_));
        std::vector<std::vector<cf>> x(st->chans.size(), std::vector<cf>(n));
        for (size_t i = 0; i < st->chans.size(); i++)
            convert_in(st->fmt, buffs[i], x[i].data(), n);
        int rc = send(st, t, x.data(), n);
        if (rc != ISAC_OK) {
            push_status(st, rc == ISAC_ERADIO ? SOAPY_SDR_TIME_ERROR : SOAPY_SDR_STREAM_ERROR, 0,
                        t);
            st->streaming = false;
            return rc == ISAC_ETIMEOUT ? SOAPY_SDR_TIMEOUT : SOAPY_SDR_STREAM_ERROR;
        }
        st->next_tx = t + (long long)n;
        st->streaming = !end;
        cv_.notify_all(); // a receiver waiting for these ticks may go on
        if (end)
            push_status(st, 0, SOAPY_SDR_END_BURST, t);
        if (rx_active_ == 0) // nothing else moves the clock: the DAC consumed the samples
            isacsim_advance(sim_, st->next_tx);
        return (int)n;
    }

    isacsim *sim_ = nullptr;
    isacsim_desc desc_{};
    std::string base_args_;
    double fs_ref_ = 0;
    long long offset_ns_ = 0;
    unsigned long long episode_ = 0;
    std::vector<Chain> chain_[2];
    double ppm_[2] = {0, 0};
    bool cmd_set_ = false;
    long long cmd_tick_ = 0;
    bool have_pending_ = false;
    double pending_freq_ = 0;
    long long pending_tick_ = 0;
    int rx_active_ = 0;
    std::vector<Stream *> streams_;
    std::vector<cf> zeros_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
};

// Enumerate only when asked for by driver name: the emulator is not hardware that
// should appear in a plain `SoapySDRUtil --find` or capture "soapy:" specs.
SoapySDR::KwargsList find_isacsim(const SoapySDR::Kwargs &args)
{
    auto it = args.find("driver");
    if (it == args.end() || it->second != kDriver)
        return {};
    SoapySDR::Kwargs dev = args;
    auto seed = args.find("seed");
    std::string serial = "sim-" + (seed == args.end() ? std::string("1") : seed->second);
    dev["serial"] = serial;
    // A caller's label is kept: SoapySDR shares one instance between makes with the same
    // enumerated arguments, so distinct labels give independent emulators.
    if (dev.find("label") == dev.end())
        dev["label"] = "isactb channel emulator (" + serial + ")";
    return {dev};
}

SoapySDR::Device *make_isacsim(const SoapySDR::Kwargs &args)
{
    return new IsacsimDevice(args);
}

SoapySDR::Registry registration(kDriver, &find_isacsim, &make_isacsim, SOAPY_SDR_ABI_VERSION);

} // namespace
